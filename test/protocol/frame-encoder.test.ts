import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  encodeClosePayload,
  encodeFrame,
  encodeFrameHeader,
  encodeTextFrame,
} from '../../src/protocol/frame-encoder.js';
import { FrameParser, type FrameSink } from '../../src/protocol/frame-parser.js';
import { applyMask } from '../../src/protocol/mask.js';
import { Opcode, type Role } from '../../src/protocol/constants.js';

const HELLO = Buffer.from('Hello');
const KEY = Buffer.from('37fa213d', 'hex');

describe('RFC 6455 section 5.7 examples (encoder)', () => {
  test('single-frame unmasked text "Hello"', () => {
    assert.equal(encodeFrame(Opcode.Text, HELLO).toString('hex'), '810548656c6c6f');
    assert.equal(encodeTextFrame('Hello').toString('hex'), '810548656c6c6f');
  });

  test('single-frame masked text "Hello" with key 37 fa 21 3d', () => {
    const payload = Buffer.from(HELLO);
    applyMask(payload, KEY);
    const frame = Buffer.concat([encodeFrameHeader(Opcode.Text, 5, true, false, KEY), payload]);
    assert.equal(frame.toString('hex'), '818537fa213d7f9f4d5158');
  });

  test('fragmented unmasked text "Hel" + "lo"', () => {
    assert.equal(encodeFrame(Opcode.Text, Buffer.from('Hel'), { fin: false }).toString('hex'), '010348656c');
    assert.equal(encodeFrame(Opcode.Continuation, Buffer.from('lo')).toString('hex'), '80026c6f');
    assert.equal(encodeTextFrame('Hel', { fin: false }).toString('hex'), '010348656c');
  });

  test('unmasked ping and masked pong "Hello"', () => {
    assert.equal(encodeFrame(Opcode.Ping, HELLO).toString('hex'), '890548656c6c6f');
    const payload = Buffer.from(HELLO);
    applyMask(payload, KEY);
    const pong = Buffer.concat([encodeFrameHeader(Opcode.Pong, 5, true, false, KEY), payload]);
    assert.equal(pong.toString('hex'), '8a8537fa213d7f9f4d5158');
  });

  test('256-byte binary: 16-bit length', () => {
    const payload = Buffer.alloc(256, 1);
    const frame = encodeFrame(Opcode.Binary, payload);
    assert.equal(frame.subarray(0, 4).toString('hex'), '827e0100');
    assert.deepEqual(frame.subarray(4), payload);
    assert.equal(encodeFrameHeader(Opcode.Binary, 256, true, false, null).toString('hex'), '827e0100');
  });

  test('64 KiB binary: 64-bit length', () => {
    const payload = Buffer.alloc(65536, 2);
    const frame = encodeFrame(Opcode.Binary, payload);
    assert.equal(frame.subarray(0, 10).toString('hex'), '827f0000000000010000');
    assert.equal(frame.length, 10 + 65536);
    assert.deepEqual(frame.subarray(10), payload);
  });
});

describe('encoder details', () => {
  test('header lengths at the 7/16/64-bit boundaries', () => {
    const cases: [number, string][] = [
      [0, '8200'],
      [125, '827d'],
      [126, '827e007e'],
      [65535, '827effff'],
      [65536, '827f0000000000010000'],
      [2 ** 32 + 5, '827f0000000100000005'],
    ];
    for (const [length, expected] of cases) {
      assert.equal(encodeFrameHeader(Opcode.Binary, length, true, false, null).toString('hex'), expected, `${length}`);
    }
  });

  test('RSV1 and FIN bits, and the mask key in the header', () => {
    assert.equal(encodeFrameHeader(Opcode.Text, 3, true, true, null).toString('hex'), 'c103');
    assert.equal(encodeFrameHeader(Opcode.Text, 3, false, true, KEY).toString('hex'), '418337fa213d');
    assert.equal(encodeFrame(Opcode.Binary, Buffer.from('x'), { rsv1: true }).toString('hex'), 'c20178');
  });

  test('masked frames: fresh key per frame, input not modified, payload masked with the header key', () => {
    const payload = Buffer.from('the same payload, twice over');
    const copy = Buffer.from(payload);
    const a = encodeFrame(Opcode.Binary, payload, { mask: true });
    const b = encodeFrame(Opcode.Binary, payload, { mask: true });
    assert.deepEqual(payload, copy);
    assert.equal(a[1], 0x80 | payload.length);
    assert.notDeepEqual(a.subarray(2, 6), b.subarray(2, 6));
    const unmasked = Buffer.from(a.subarray(6));
    applyMask(unmasked, a.subarray(2, 6));
    assert.deepEqual(unmasked, payload);
  });

  test('many masked frames draw distinct keys (pool refills)', () => {
    const keys = new Set<string>();
    for (let i = 0; i < 5000; i++) keys.add(encodeFrame(Opcode.Ping, Buffer.alloc(0), { mask: true }).subarray(2, 6).toString('hex'));
    // 5000 random 32-bit keys: a handful of birthday collisions at most, never a repeating cycle.
    assert.ok(keys.size > 4990, `only ${keys.size} distinct keys`);
  });

  test('encodeTextFrame writes multi-byte text and masks it', () => {
    const text = 'prix: 12,50 € — 株価 😀';
    const frame = encodeTextFrame(text, { mask: true });
    const length = Buffer.byteLength(text);
    assert.equal(frame[0], 0x81);
    assert.equal(frame[1], 0x80 | length);
    const body = Buffer.from(frame.subarray(6));
    applyMask(body, frame.subarray(2, 6));
    assert.equal(body.toString(), text);
  });

  test('encodeFrame refuses frames a peer must reject', () => {
    assert.throws(() => encodeFrame(Opcode.Ping, Buffer.alloc(126)), RangeError);
    assert.throws(() => encodeFrame(Opcode.Close, Buffer.alloc(2), { fin: false }), RangeError);
    assert.throws(() => encodeFrame(Opcode.Ping, Buffer.alloc(0), { rsv1: true }), RangeError);
    assert.throws(() => encodeFrame(Opcode.Continuation, Buffer.alloc(1), { rsv1: true }), RangeError);
    assert.throws(() => encodeFrame(3, Buffer.alloc(0)), RangeError);
    assert.throws(() => encodeFrame(0xb, Buffer.alloc(0)), RangeError);
    assert.throws(() => encodeFrame(16, Buffer.alloc(0)), RangeError);
    assert.throws(() => encodeFrameHeader(Opcode.Binary, -1, true, false, null), RangeError);
    assert.doesNotThrow(() => encodeFrame(Opcode.Ping, Buffer.alloc(125)));
  });

  test('encodeClosePayload', () => {
    assert.equal(encodeClosePayload(1000).toString('hex'), '03e8');
    assert.equal(encodeClosePayload(4000, 'ok').toString('hex'), '0fa06f6b');
    assert.equal(encodeClosePayload(1001, 'é'.repeat(61) + 'a').length, 125); // 123-byte reason
    assert.throws(() => encodeClosePayload(1001, 'a'.repeat(124)), RangeError);
    assert.throws(() => encodeClosePayload(1001, 'é'.repeat(62)), RangeError); // 124 bytes
    for (const code of [0, 999, 1004, 1005, 1006, 1015, 2999, 5000]) {
      assert.throws(() => encodeClosePayload(code), RangeError, `${code}`);
    }
  });
});

describe('round trips through the parser', () => {
  function collect(role: Role): { parser: FrameParser; messages: [string, boolean][]; errors: number[] } {
    const messages: [string, boolean][] = [];
    const errors: number[] = [];
    const sink: FrameSink = {
      onMessage: (data, isText) => messages.push([data.toString('hex'), isText]),
      onPing: (p) => messages.push(['ping:' + p.toString('hex'), false]),
      onPong: () => {},
      onClose: () => {},
      onProtocolError: (e) => errors.push(e.closeCode),
    };
    return { parser: new FrameParser(sink, { role, maxPayload: 1 << 20 }), messages, errors };
  }

  for (const length of [0, 1, 125, 126, 127, 65535, 65536, 100_003]) {
    test(`length ${length}: client-masked -> server, server -> client`, () => {
      const payload = Buffer.alloc(length);
      for (let i = 0; i < length; i++) payload[i] = (i * 31 + 7) & 0xff;
      const server = collect('server');
      server.parser.push(encodeFrame(Opcode.Binary, payload, { mask: true }));
      const client = collect('client');
      client.parser.push(encodeFrame(Opcode.Binary, payload));
      for (const side of [server, client]) {
        assert.deepEqual(side.errors, []);
        assert.deepEqual(side.messages, [[payload.toString('hex'), false]]);
      }
    });
  }

  test('text frames and a header + payload pair (writev style) round trip', () => {
    const text = 'ticker AAPL 189.25 ✓';
    const server = collect('server');
    server.parser.push(encodeTextFrame(text, { mask: true }));
    const payload = Buffer.alloc(70_000, 0x61);
    const masked = Buffer.from(payload);
    applyMask(masked, KEY);
    server.parser.push(encodeFrameHeader(Opcode.Text, payload.length, true, false, KEY));
    server.parser.push(masked);
    assert.deepEqual(server.errors, []);
    assert.deepEqual(server.messages, [
      [Buffer.from(text).toString('hex'), true],
      [payload.toString('hex'), true],
    ]);
  });

  test('fragmented masked message with a ping in between', () => {
    const server = collect('server');
    server.parser.push(
      Buffer.concat([
        encodeTextFrame('tick', { fin: false, mask: true }),
        encodeFrame(Opcode.Ping, Buffer.from('hb'), { mask: true }),
        encodeFrame(Opcode.Continuation, Buffer.from('stream'), { mask: true }),
      ]),
    );
    assert.deepEqual(server.errors, []);
    assert.deepEqual(server.messages, [
      ['ping:' + Buffer.from('hb').toString('hex'), false],
      [Buffer.from('tickstream').toString('hex'), true],
    ]);
  });
});
