import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FrameParser, type FrameSink } from '../../src/protocol/frame-parser.js';
import { encodeClosePayload, encodeFrameHeader } from '../../src/protocol/frame-encoder.js';
import { applyMask } from '../../src/protocol/mask.js';
import { Opcode, type Role } from '../../src/protocol/constants.js';

type Event = (string | number | boolean)[];

function run(role: Role, pieces: Buffer[]): Event[] {
  const events: Event[] = [];
  const sink: FrameSink = {
    onMessage: (data, isText) => events.push(['message', isText, data.toString('hex')]),
    onPing: (p) => events.push(['ping', p.toString('hex')]),
    onPong: (p) => events.push(['pong', p.toString('hex')]),
    onClose: (code, reason) => events.push(['close', code, reason]),
    onProtocolError: (e) => events.push(['error', e.closeCode]),
  };
  const parser = new FrameParser(sink, { role, maxPayload: 1 << 20 });
  // The parser unmasks in place, so every run gets fresh copies of the bytes.
  for (const piece of pieces) parser.push(Buffer.from(piece));
  events.push(['state', parser.state]);
  return events;
}

const KEYS = ['37fa213d', '00000000', 'ffffffff', '0a1b2c3d'].map((k) => Buffer.from(k, 'hex'));
let keyIndex = 0;

/** One frame as `role`'s peer sends it: masked (rotating keys) towards a server. */
function frame(role: Role, opcode: number, payload: Buffer | string, fin = true, longLength = false): Buffer {
  const body = Buffer.from(payload);
  const key = role === 'server' ? KEYS[keyIndex++ % KEYS.length]! : null;
  let header = encodeFrameHeader(opcode, body.length, fin, false, key);
  if (longLength) {
    // Non-minimal 64-bit length for a small payload: legal, and exercises the 8-byte length path.
    const long = Buffer.alloc(10 + (key ? 4 : 0));
    long[0] = header[0]!;
    long[1] = (header[1]! & 0x80) | 127;
    long.writeUInt32BE(body.length, 6);
    if (key) key.copy(long, 10);
    header = long;
  }
  if (key) applyMask(body, key);
  return Buffer.concat([header, body]);
}

function stream(role: Role): Buffer {
  const smile = Buffer.from('κόσμε 😀 ok');
  return Buffer.concat([
    frame(role, Opcode.Text, 'Hello'),
    frame(role, Opcode.Binary, Buffer.alloc(300, 0x5a)), // 16-bit length
    frame(role, Opcode.Text, smile.subarray(0, 4), false), // cut inside "ό"
    frame(role, Opcode.Ping, 'ping-1'),
    frame(role, Opcode.Continuation, smile.subarray(4, 12), false), // cut inside the emoji
    frame(role, Opcode.Pong, ''),
    frame(role, Opcode.Continuation, Buffer.alloc(0), false),
    frame(role, Opcode.Continuation, smile.subarray(12)),
    frame(role, Opcode.Text, ''),
    frame(role, Opcode.Binary, Buffer.from('0001020304', 'hex'), true, true), // 64-bit length
    frame(role, Opcode.Binary, 'ab', false),
    frame(role, Opcode.Ping, Buffer.alloc(125, 1)),
    frame(role, Opcode.Continuation, 'cd'),
    frame(role, Opcode.Close, encodeClosePayload(1000, 'done')),
    Buffer.from('ffff', 'hex'), // after close: ignored
  ]);
}

const EXPECTED_MESSAGES: Event[] = [
  ['message', true, Buffer.from('Hello').toString('hex')],
  ['message', false, Buffer.alloc(300, 0x5a).toString('hex')],
  ['ping', Buffer.from('ping-1').toString('hex')],
  ['pong', ''],
  ['message', true, Buffer.from('κόσμε 😀 ok').toString('hex')],
  ['message', true, ''],
  ['message', false, '0001020304'],
  ['ping', Buffer.alloc(125, 1).toString('hex')],
  ['message', false, Buffer.from('abcd').toString('hex')],
  ['close', 1000, 'done'],
  ['state', 'closed'],
];

for (const role of ['server', 'client'] as const) {
  test(`${role}: a multi-frame stream gives identical events at every split point`, () => {
    const bytes = stream(role);
    assert.deepEqual(run(role, [bytes]), EXPECTED_MESSAGES);
    for (let cut = 0; cut <= bytes.length; cut++) {
      assert.deepEqual(run(role, [bytes.subarray(0, cut), bytes.subarray(cut)]), EXPECTED_MESSAGES, `cut at ${cut}`);
    }
  });

  test(`${role}: the same stream fed as 1-byte chunks and as pairs of cuts`, () => {
    const bytes = stream(role);
    const ones: Buffer[] = [];
    for (let i = 0; i < bytes.length; i++) ones.push(bytes.subarray(i, i + 1));
    assert.deepEqual(run(role, ones), EXPECTED_MESSAGES);
    // Three pieces: every first cut, second cuts on a stride (keeps the test fast).
    for (let a = 0; a <= bytes.length; a += 3) {
      for (let b = a; b <= bytes.length; b += 17) {
        const pieces = [bytes.subarray(0, a), bytes.subarray(a, b), bytes.subarray(b)];
        assert.deepEqual(run(role, pieces), EXPECTED_MESSAGES, `cuts at ${a}, ${b}`);
      }
    }
  });
}

test('an error stream fails identically at every split point (fail fast does not depend on chunking)', () => {
  const role = 'server';
  const bytes = Buffer.concat([
    frame(role, Opcode.Text, 'fine'),
    frame(role, Opcode.Text, Buffer.from('abc'), false),
    frame(role, Opcode.Ping, 'p'),
    frame(role, Opcode.Continuation, Buffer.from('64c3a9edb080ff', 'hex')), // surrogate
    frame(role, Opcode.Text, 'never seen'),
  ]);
  const expected: Event[] = [
    ['message', true, Buffer.from('fine').toString('hex')],
    ['ping', Buffer.from('p').toString('hex')],
    ['error', 1007],
    ['state', 'failed'],
  ];
  for (let cut = 0; cut <= bytes.length; cut++) {
    assert.deepEqual(run(role, [bytes.subarray(0, cut), bytes.subarray(cut)]), expected, `cut at ${cut}`);
  }
});

test('a 64 KiB frame split around its header, mask cycle and end', () => {
  const payload = Buffer.alloc(65536);
  for (let i = 0; i < payload.length; i++) payload[i] = (i * 5 + 1) & 0xff;
  const bytes = Buffer.concat([frame('server', Opcode.Binary, payload), frame('server', Opcode.Text, 'after')]);
  const expected: Event[] = [
    ['message', false, payload.toString('hex')],
    ['message', true, Buffer.from('after').toString('hex')],
    ['state', 'open'],
  ];
  const cuts = new Set<number>();
  for (let i = 0; i < 24; i++) cuts.add(i).add(bytes.length - i).add(32768 + i);
  for (const cut of cuts) {
    assert.deepEqual(run('server', [bytes.subarray(0, cut), bytes.subarray(cut)]), expected, `cut at ${cut}`);
  }
  // Many irregular pieces.
  const pieces: Buffer[] = [];
  for (let at = 0, size = 1; at < bytes.length; at += size, size = (size * 7 + 3) % 5003) {
    pieces.push(bytes.subarray(at, at + size));
  }
  assert.deepEqual(run('server', pieces), expected);
});
