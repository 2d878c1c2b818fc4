import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { FrameParser, type FrameSink, type MessageInflater } from '../../src/protocol/frame-parser.js';
import { encodeClosePayload, encodeFrameHeader } from '../../src/protocol/frame-encoder.js';
import { applyMask } from '../../src/protocol/mask.js';
import { CloseCode, Opcode, type Role } from '../../src/protocol/constants.js';
import { ProtocolError } from '../../src/protocol/errors.js';

type Event = (string | number | boolean)[];

/** Sink that records every callback; payloads are recorded as hex copies (they may be views). */
function recorder(): { events: Event[]; errors: ProtocolError[]; sink: FrameSink } {
  const events: Event[] = [];
  const errors: ProtocolError[] = [];
  const sink: FrameSink = {
    onMessage: (data, isText) => events.push(['message', isText ? 'text' : 'binary', data.toString('hex')]),
    onPing: (payload) => events.push(['ping', payload.toString('hex')]),
    onPong: (payload) => events.push(['pong', payload.toString('hex')]),
    onClose: (code, reason) => events.push(['close', code, reason]),
    onProtocolError: (error) => {
      errors.push(error);
      events.push(['error', error.closeCode]);
    },
  };
  return { events, errors, sink };
}

function parserFor(role: Role, extra: { maxPayload?: number; maxFragments?: number; inflater?: MessageInflater } = {}) {
  const rec = recorder();
  const parser = new FrameParser(rec.sink, {
    role,
    maxPayload: extra.maxPayload ?? 1 << 20,
    ...(extra.maxFragments !== undefined ? { maxFragments: extra.maxFragments } : {}),
    inflater: extra.inflater ?? null,
  });
  return { ...rec, parser };
}

/** Fixed key used whenever a test needs a masked frame. */
const KEY = Buffer.from('37fa213d', 'hex');

interface RawFrameOptions {
  fin?: boolean;
  rsv?: number; // 0x40 RSV1, 0x20 RSV2, 0x10 RSV3
  masked?: boolean;
}

/** Builds any frame, including invalid ones, from the permissive header encoder. */
function rawFrame(opcode: number, payload: Buffer | string, options: RawFrameOptions = {}): Buffer {
  const body = Buffer.from(payload);
  const masked = options.masked ?? false;
  const header = encodeFrameHeader(opcode, body.length, options.fin ?? true, false, masked ? KEY : null);
  header[0]! |= options.rsv ?? 0;
  if (masked) applyMask(body, KEY);
  return Buffer.concat([header, body]);
}

/** A frame as the given role's peer sends it (clients mask, servers do not). */
function peerFrame(role: Role, opcode: number, payload: Buffer | string, options: RawFrameOptions = {}): Buffer {
  return rawFrame(opcode, payload, { masked: role === 'server', ...options });
}

const HELLO_HEX = Buffer.from('Hello').toString('hex');

describe('RFC 6455 section 5.7 examples (parser)', () => {
  test('single-frame unmasked text "Hello" at a client', () => {
    const { parser, events } = parserFor('client');
    parser.push(Buffer.from('810548656c6c6f', 'hex'));
    assert.deepEqual(events, [['message', 'text', HELLO_HEX]]);
    assert.equal(parser.state, 'open');
  });

  test('single-frame masked text "Hello" at a server', () => {
    const { parser, events } = parserFor('server');
    parser.push(Buffer.from('818537fa213d7f9f4d5158', 'hex'));
    assert.deepEqual(events, [['message', 'text', HELLO_HEX]]);
  });

  test('fragmented unmasked text "Hel" + "lo"', () => {
    const { parser, events } = parserFor('client');
    parser.push(Buffer.from('010348656c', 'hex'));
    assert.deepEqual(events, []);
    parser.push(Buffer.from('80026c6f', 'hex'));
    assert.deepEqual(events, [['message', 'text', HELLO_HEX]]);
  });

  test('unmasked ping "Hello" and masked ping/pong "Hello"', () => {
    const client = parserFor('client');
    client.parser.push(Buffer.from('890548656c6c6f', 'hex'));
    assert.deepEqual(client.events, [['ping', HELLO_HEX]]);
    const server = parserFor('server');
    server.parser.push(Buffer.from('898537fa213d7f9f4d5158', 'hex'));
    server.parser.push(Buffer.from('8a8537fa213d7f9f4d5158', 'hex'));
    assert.deepEqual(server.events, [['ping', HELLO_HEX], ['pong', HELLO_HEX]]);
  });

  test('256-byte binary with a 16-bit length', () => {
    const payload = Buffer.alloc(256, 0xab);
    const { parser, events } = parserFor('client');
    parser.push(Buffer.concat([Buffer.from('827e0100', 'hex'), payload]));
    assert.deepEqual(events, [['message', 'binary', payload.toString('hex')]]);
  });

  test('64 KiB binary with a 64-bit length', () => {
    const payload = Buffer.alloc(65536);
    for (let i = 0; i < payload.length; i++) payload[i] = i & 0xff;
    const { parser, events } = parserFor('client');
    parser.push(Buffer.concat([Buffer.from('827f0000000000010000', 'hex'), payload]));
    assert.deepEqual(events, [['message', 'binary', payload.toString('hex')]]);
  });
});

describe('messages and control frames', () => {
  test('control frames between fragments are dispatched immediately', () => {
    const { parser, events } = parserFor('server');
    parser.push(peerFrame('server', Opcode.Text, 'ab', { fin: false }));
    parser.push(peerFrame('server', Opcode.Ping, 'p1'));
    assert.deepEqual(events, [['ping', '7031']]);
    parser.push(peerFrame('server', Opcode.Continuation, 'cd', { fin: false }));
    parser.push(peerFrame('server', Opcode.Pong, ''));
    parser.push(peerFrame('server', Opcode.Continuation, 'ef'));
    assert.deepEqual(events, [
      ['ping', '7031'],
      ['pong', ''],
      ['message', 'text', Buffer.from('abcdef').toString('hex')],
    ]);
  });

  test('empty messages, empty fragments and an empty ping', () => {
    const { parser, events } = parserFor('client');
    parser.push(
      Buffer.concat([
        peerFrame('client', Opcode.Text, ''),
        peerFrame('client', Opcode.Binary, '', { fin: false }),
        peerFrame('client', Opcode.Continuation, '', { fin: false }),
        peerFrame('client', Opcode.Continuation, ''),
        peerFrame('client', Opcode.Ping, ''),
      ]),
    );
    assert.deepEqual(events, [['message', 'text', ''], ['message', 'binary', ''], ['ping', '']]);
  });

  test('close frame with code and reason; bytes after it are ignored', () => {
    const { parser, events } = parserFor('server');
    parser.push(
      Buffer.concat([
        peerFrame('server', Opcode.Close, encodeClosePayload(1000, 'bye')),
        peerFrame('server', Opcode.Text, 'ignored'),
        Buffer.from('ff'), // garbage that would otherwise be a protocol error
      ]),
    );
    assert.deepEqual(events, [['close', 1000, 'bye']]);
    assert.equal(parser.state, 'closed');
    parser.push(peerFrame('server', Opcode.Text, 'still ignored'));
    assert.equal(events.length, 1);
  });

  test('empty close frame reports 1005; close codes 3000-4999 and 1012-1014 are accepted', () => {
    for (const [payload, code] of [
      [Buffer.alloc(0), CloseCode.NoStatus],
      [encodeClosePayload(3000), 3000],
      [encodeClosePayload(4999, 'x'), 4999],
      [encodeClosePayload(1014), 1014],
    ] as const) {
      const { parser, events } = parserFor('client');
      parser.push(peerFrame('client', Opcode.Close, payload));
      assert.equal(events[0]![0], 'close');
      assert.equal(events[0]![1], code);
    }
  });

  test('close frame in the middle of a fragmented message', () => {
    const { parser, events } = parserFor('client');
    parser.push(peerFrame('client', Opcode.Text, 'ab', { fin: false }));
    parser.push(peerFrame('client', Opcode.Close, encodeClosePayload(1001)));
    parser.push(peerFrame('client', Opcode.Continuation, 'cd'));
    assert.deepEqual(events, [['close', 1001, '']]);
  });

  test('non-minimal length encodings are read', () => {
    const { parser, events } = parserFor('client');
    // "Hi" with a 16-bit length and with a 64-bit length.
    parser.push(Buffer.from('817e00024869', 'hex'));
    parser.push(Buffer.from('827f00000000000000024869', 'hex'));
    assert.deepEqual(events, [['message', 'text', '4869'], ['message', 'binary', '4869']]);
  });

  test('a payload inside one chunk is delivered as a view of that chunk (zero copy)', () => {
    let delivered: Buffer | null = null;
    const parser = new FrameParser(
      { ...recorder().sink, onMessage: (data) => (delivered = data) },
      { role: 'server', maxPayload: 1000 },
    );
    const chunk = peerFrame('server', Opcode.Binary, Buffer.alloc(200, 7));
    parser.push(chunk);
    assert.ok(delivered !== null);
    const view = delivered as Buffer;
    assert.equal(view.buffer, chunk.buffer);
    assert.equal(view.byteOffset, chunk.byteOffset + 8); // 2 + 2 (16-bit length) + 4 (key)
    assert.deepEqual(view, Buffer.alloc(200, 7));
  });

  test('a payload spanning chunks is assembled correctly and unmasked across the mask cycle', () => {
    const payload = Buffer.alloc(1000);
    for (let i = 0; i < payload.length; i++) payload[i] = (i * 7) & 0xff;
    const frame = peerFrame('server', Opcode.Binary, payload);
    const { parser, events } = parserFor('server');
    for (const cut of [[0, 5], [5, 11], [11, 400], [400, 401], [401, 1008]] as const) {
      parser.push(Buffer.from(frame.subarray(cut[0], cut[1])));
    }
    assert.deepEqual(events, [['message', 'binary', payload.toString('hex')]]);
  });

  test('a message of exactly maxPayload bytes and exactly maxFragments frames is accepted', () => {
    const { parser, events } = parserFor('client', { maxPayload: 6, maxFragments: 3 });
    parser.push(
      Buffer.concat([
        peerFrame('client', Opcode.Binary, 'ab', { fin: false }),
        peerFrame('client', Opcode.Continuation, 'cd', { fin: false }),
        peerFrame('client', Opcode.Continuation, 'ef'),
      ]),
    );
    assert.deepEqual(events, [['message', 'binary', Buffer.from('abcdef').toString('hex')]]);
  });
});

describe('violations (table)', () => {
  interface Case {
    name: string;
    role: Role;
    bytes: Buffer;
    code: number;
    inflater?: boolean;
    maxPayload?: number;
    maxFragments?: number;
  }
  const S: Role = 'server';
  const C: Role = 'client';
  const text = (payload: Buffer | string, o: RawFrameOptions = {}) => peerFrame(S, Opcode.Text, payload, o);
  const cont = (payload: Buffer | string, o: RawFrameOptions = {}) => peerFrame(S, Opcode.Continuation, payload, o);
  const close = (payload: Buffer) => peerFrame(S, Opcode.Close, payload);
  const closeWithCode = (code: number) => {
    const b = Buffer.alloc(2);
    b.writeUInt16BE(code);
    return close(b);
  };

  const cases: Case[] = [
    { name: 'RSV2 set', role: S, bytes: text('x', { rsv: 0x20 }), code: 1002 },
    { name: 'RSV3 set', role: S, bytes: text('x', { rsv: 0x10 }), code: 1002 },
    { name: 'RSV2 set even with an inflater', role: S, bytes: text('x', { rsv: 0x20 }), code: 1002, inflater: true },
    { name: 'RSV1 without an inflater', role: S, bytes: text('x', { rsv: 0x40 }), code: 1002 },
    {
      name: 'RSV1 on a continuation frame',
      role: S,
      bytes: Buffer.concat([text('x', { fin: false, rsv: 0x40 }), cont('y', { rsv: 0x40 })]),
      code: 1002,
      inflater: true,
    },
    { name: 'RSV1 on a ping', role: S, bytes: peerFrame(S, Opcode.Ping, '', { rsv: 0x40 }), code: 1002, inflater: true },
    ...[3, 4, 5, 6, 7, 0xb, 0xc, 0xd, 0xe, 0xf].map((op) => ({
      name: `reserved opcode ${op}`,
      role: S,
      bytes: peerFrame(S, op, 'x'),
      code: 1002,
    })),
    { name: 'ping with 126 bytes', role: S, bytes: peerFrame(S, Opcode.Ping, Buffer.alloc(126)), code: 1002 },
    { name: 'fragmented ping', role: S, bytes: peerFrame(S, Opcode.Ping, 'x', { fin: false }), code: 1002 },
    { name: 'fragmented close', role: C, bytes: peerFrame(C, Opcode.Close, '', { fin: false }), code: 1002 },
    { name: 'continuation without a message', role: S, bytes: cont('x'), code: 1002 },
    {
      name: 'text while a fragmented message is in progress',
      role: S,
      bytes: Buffer.concat([text('a', { fin: false }), text('b')]),
      code: 1002,
    },
    {
      name: 'binary while a fragmented message is in progress',
      role: S,
      bytes: Buffer.concat([text('a', { fin: false }), peerFrame(S, Opcode.Binary, 'b')]),
      code: 1002,
    },
    { name: 'unmasked frame at a server', role: S, bytes: rawFrame(Opcode.Text, 'x'), code: 1002 },
    { name: 'masked frame at a client', role: C, bytes: rawFrame(Opcode.Text, 'x', { masked: true }), code: 1002 },
    { name: '64-bit length with the top bit set', role: C, bytes: Buffer.from('827f8000000000000001', 'hex'), code: 1002 },
    { name: 'length over maxPayload', role: C, bytes: Buffer.from('827e0100', 'hex'), code: 1009, maxPayload: 255 },
    { name: 'huge 64-bit length', role: C, bytes: Buffer.from('827f7fffffffffffffff', 'hex'), code: 1009 },
    {
      name: 'fragments summing over maxPayload',
      role: S,
      bytes: Buffer.concat([text('abc', { fin: false }), cont('def')]),
      code: 1009,
      maxPayload: 5,
    },
    {
      name: 'more than maxFragments fragments',
      role: S,
      bytes: Buffer.concat([text('a', { fin: false }), cont('b', { fin: false }), cont('c')]),
      code: 1009,
      maxFragments: 2,
    },
    { name: 'close with a 1-byte payload', role: S, bytes: close(Buffer.from([3])), code: 1002 },
    ...[0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535].map((code) => ({
      name: `close code ${code}`,
      role: S,
      bytes: closeWithCode(code),
      code: 1002,
    })),
    {
      name: 'close reason with invalid UTF-8',
      role: S,
      bytes: close(Buffer.from('03e8cebae1bdb9cf83cebcceb5eda080656469746564', 'hex')),
      code: 1007,
    },
    { name: 'invalid UTF-8 in a text frame', role: S, bytes: text(Buffer.from('48c0af', 'hex')), code: 1007 },
    {
      name: 'invalid UTF-8 in a fragmented text message',
      role: S,
      bytes: Buffer.concat([text('ok', { fin: false }), cont(Buffer.from('eda080', 'hex'))]),
      code: 1007,
    },
    { name: 'text ending inside a UTF-8 sequence', role: S, bytes: text(Buffer.from('41e282', 'hex')), code: 1007 },
    {
      name: 'fragmented text ending inside a UTF-8 sequence',
      role: S,
      bytes: Buffer.concat([text(Buffer.from('41', 'hex'), { fin: false }), cont(Buffer.from('f09f98', 'hex'))]),
      code: 1007,
    },
  ];

  for (const c of cases) {
    test(`${c.name} -> ${c.code}`, () => {
      const { parser, events, errors } = parserFor(c.role, {
        ...(c.maxPayload !== undefined ? { maxPayload: c.maxPayload } : {}),
        ...(c.maxFragments !== undefined ? { maxFragments: c.maxFragments } : {}),
        ...(c.inflater ? { inflater: identityInflater } : {}),
      });
      parser.push(Buffer.from(c.bytes));
      assert.deepEqual(events.at(-1), ['error', c.code]);
      assert.equal(errors.length, 1);
      assert.ok(errors[0] instanceof ProtocolError);
      assert.equal(parser.state, 'failed');
      // A dead parser ignores everything that follows.
      parser.push(peerFrame(c.role, Opcode.Text, 'after'));
      assert.equal(errors.length, 1);
      assert.equal(events.at(-1)![0], 'error');
    });
  }

  test('violations visible in the first two header bytes fail before the rest arrives', () => {
    const firstTwo: [string, Role, string][] = [
      ['RSV2', S, 'a180'],
      ['reserved opcode', S, '8380'],
      ['unmasked at server', S, '8105'],
      ['masked at client', C, '8185'],
      ['fragmented ping', S, '0980'],
      ['long ping', S, '89fe'],
      ['continuation first', S, '8081'],
    ];
    for (const [name, role, bytes] of firstTwo) {
      const { parser, errors } = parserFor(role);
      parser.push(Buffer.from(bytes, 'hex'));
      assert.equal(errors.length, 1, name);
      assert.equal(errors[0]!.closeCode, 1002, name);
    }
  });

  test('an oversized length fails as soon as the header is read, before any payload', () => {
    const { parser, errors } = parserFor('client', { maxPayload: 1000 });
    parser.push(Buffer.from('827f00000000', 'hex'));
    assert.equal(errors.length, 0);
    parser.push(Buffer.from('000003e9', 'hex')); // 1001
    assert.equal(errors.length, 1);
    assert.equal(errors[0]!.closeCode, 1009);
  });
});

describe('fail-fast UTF-8', () => {
  test('an invalid byte in a split single frame is reported when it arrives', () => {
    const payload = Buffer.concat([Buffer.from('héllo wörld '), Buffer.from([0xf5]), Buffer.from(' tail')]);
    const frame = peerFrame('server', Opcode.Text, payload);
    const badAt = frame.length - payload.length + payload.indexOf(0xf5);
    const { parser, errors } = parserFor('server');
    for (let i = 0; i < badAt; i++) parser.push(Buffer.from(frame.subarray(i, i + 1)));
    assert.equal(errors.length, 0, 'valid prefix accepted');
    parser.push(Buffer.from(frame.subarray(badAt, badAt + 1)));
    assert.equal(errors.length, 1);
    assert.equal(errors[0]!.closeCode, 1007);
  });

  test('an invalid sequence in a non-final fragment fails before the message ends', () => {
    const { parser, errors } = parserFor('client');
    parser.push(peerFrame('client', Opcode.Text, 'fine', { fin: false }));
    parser.push(peerFrame('client', Opcode.Continuation, Buffer.from('cebae1bd', 'hex'), { fin: false }));
    assert.equal(errors.length, 0, 'an unfinished sequence at a fragment end is fine');
    const bad = peerFrame('client', Opcode.Continuation, Buffer.from('b9edbfbf', 'hex'), { fin: false });
    parser.push(bad.subarray(0, 3)); // header + b9 completes "ό"
    assert.equal(errors.length, 0);
    parser.push(bad.subarray(3, 5)); // ed bf: surrogate range
    assert.equal(errors.length, 1);
    assert.equal(errors[0]!.closeCode, 1007);
  });

  test('a 4-byte sequence split across fragments and chunks is valid', () => {
    const smile = Buffer.from('😀'); // f0 9f 98 80
    const { parser, events } = parserFor('server');
    const frames = Buffer.concat([
      peerFrame('server', Opcode.Text, smile.subarray(0, 1), { fin: false }),
      peerFrame('server', Opcode.Continuation, smile.subarray(1, 3), { fin: false }),
      peerFrame('server', Opcode.Ping, ''),
      peerFrame('server', Opcode.Continuation, smile.subarray(3)),
    ]);
    for (let i = 0; i < frames.length; i += 3) parser.push(Buffer.from(frames.subarray(i, i + 3)));
    assert.deepEqual(events, [['ping', ''], ['message', 'text', smile.toString('hex')]]);
  });
});

/** Test inflater: the "compressed" bytes are the plain bytes; 'BAD' fails, 'BIG' exceeds the limit. */
const identityInflater: MessageInflater = {
  inflate(fragments, maxSize) {
    const out = Buffer.concat(fragments);
    if (out.toString() === 'BAD') throw new ProtocolError(CloseCode.InvalidPayload, 'corrupt');
    if (out.toString() === 'BUG') throw new Error('unexpected');
    if (out.toString() === 'BIG') throw new ProtocolError(CloseCode.MessageTooBig, 'too big');
    if (out.length > maxSize) throw new ProtocolError(CloseCode.MessageTooBig, 'too big');
    return Buffer.concat([out, out]); // "decompression" doubles the message
  },
};

describe('compressed messages (RSV1 with an inflater)', () => {
  test('single and fragmented compressed messages are inflated; plain ones are not', () => {
    const { parser, events } = parserFor('server', { inflater: identityInflater });
    parser.push(
      Buffer.concat([
        peerFrame('server', Opcode.Text, 'ab', { rsv: 0x40 }),
        peerFrame('server', Opcode.Binary, 'c', { rsv: 0x40, fin: false }),
        peerFrame('server', Opcode.Ping, 'p'),
        peerFrame('server', Opcode.Continuation, 'd'),
        peerFrame('server', Opcode.Text, 'plain'),
      ]),
    );
    assert.deepEqual(events, [
      ['message', 'text', Buffer.from('abab').toString('hex')],
      ['ping', '70'],
      ['message', 'binary', Buffer.from('cdcd').toString('hex')],
      ['message', 'text', Buffer.from('plain').toString('hex')],
    ]);
  });

  test('inflater errors become one protocol error with their code', () => {
    for (const [payload, code] of [['BAD', 1007], ['BIG', 1009], ['BUG', 1007]] as const) {
      const { parser, errors } = parserFor('server', { inflater: identityInflater });
      parser.push(peerFrame('server', Opcode.Binary, payload, { rsv: 0x40 }));
      assert.equal(errors.length, 1, payload);
      assert.equal(errors[0]!.closeCode, code, payload);
    }
  });

  test('inflated text is UTF-8 validated after inflation', () => {
    const { parser, errors } = parserFor('server', { inflater: identityInflater });
    parser.push(peerFrame('server', Opcode.Text, Buffer.from('e282', 'hex'), { rsv: 0x40 }));
    assert.equal(errors.length, 1);
    assert.equal(errors[0]!.closeCode, 1007);
  });

  test('the inflater receives maxPayload as its output limit', () => {
    let seen = -1;
    const inflater: MessageInflater = { inflate: (fragments, maxSize) => ((seen = maxSize), Buffer.concat(fragments)) };
    const { parser } = parserFor('client', { inflater, maxPayload: 4321 });
    parser.push(peerFrame('client', Opcode.Binary, 'x', { rsv: 0x40 }));
    assert.equal(seen, 4321);
  });
});

describe('FrameParser flow control (pause / resume)', () => {
  function textFrame(text: string): Buffer {
    const body = Buffer.from(text);
    const key = Buffer.from([1, 2, 3, 4]);
    const masked = Buffer.from(body.map((b, i) => b ^ key[i & 3]!));
    return Buffer.concat([Buffer.from([0x81, 0x80 | body.length]), key, masked]);
  }

  test('pausing inside a message callback holds the rest of the chunk until resume, in order', () => {
    const got: string[] = [];
    let parser: FrameParser;
    const sink: FrameSink = {
      onMessage: (data) => {
        got.push(data.toString());
        if (data.toString() === 'b') parser.pause();
      },
      onPing: () => {},
      onPong: () => {},
      onClose: () => {},
      onProtocolError: (e) => assert.fail(e.message),
    };
    parser = new FrameParser(sink, { role: 'server', maxPayload: 1024 });
    parser.push(Buffer.concat([textFrame('a'), textFrame('b'), textFrame('c')]));
    parser.push(textFrame('d'));
    assert.deepEqual(got, ['a', 'b']);
    assert.equal(parser.isPaused, true);
    assert.ok(parser.heldBytes > 0);
    parser.resume();
    assert.deepEqual(got, ['a', 'b', 'c', 'd']);
    assert.equal(parser.heldBytes, 0);
  });

  test('resume() called from a sink callback continues the running push', () => {
    const got: string[] = [];
    let parser: FrameParser;
    const sink: FrameSink = {
      onMessage: (data) => {
        got.push(data.toString());
        parser.pause();
        parser.resume();
      },
      onPing: () => {},
      onPong: () => {},
      onClose: () => {},
      onProtocolError: (e) => assert.fail(e.message),
    };
    parser = new FrameParser(sink, { role: 'server', maxPayload: 1024 });
    parser.push(Buffer.concat([textFrame('x'), textFrame('y')]));
    assert.deepEqual(got, ['x', 'y']);
  });

  test('midMessage is true between the first byte of a frame and the end of its message', () => {
    const parser = new FrameParser({ onMessage: () => {}, onPing: () => {}, onPong: () => {}, onClose: () => {}, onProtocolError: () => {} }, { role: 'server', maxPayload: 1024 });
    const frame = textFrame('hello');
    assert.equal(parser.midMessage, false);
    parser.push(frame.subarray(0, 1));
    assert.equal(parser.midMessage, true);
    parser.push(frame.subarray(1, 8));
    assert.equal(parser.midMessage, true);
    parser.push(frame.subarray(8));
    assert.equal(parser.midMessage, false);
  });
});
