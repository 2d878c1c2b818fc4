/**
 * Bounded, seeded fuzzing of the frame parser: random bytes and mutated valid frame streams, fed
 * at random split points, in both roles, with and without an inflater. Deterministic (fixed seed),
 * so a failure is reproducible from the printed iteration number.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FrameParser, type FrameSink, type MessageInflater } from '../../src/protocol/frame-parser.js';
import { encodeFrameHeader } from '../../src/protocol/frame-encoder.js';
import { applyMask } from '../../src/protocol/mask.js';
import { CloseCode, Opcode, type Role } from '../../src/protocol/constants.js';
import { ProtocolError } from '../../src/protocol/errors.js';

const MAX_PAYLOAD = 300;
const MAX_FRAGMENTS = 6;
const ITERATIONS = 30_000;
const ALLOWED_CODES = new Set<number>([1002, 1007, 1009]);

/** xorshift32: small, fast and seedable. */
function prng(seed: number): { int(n: number): number; chance(p: number): boolean } {
  let x = seed >>> 0 || 1;
  const next = () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
  return { int: (n) => next() % n, chance: (p) => next() / 0x1_0000_0000 < p };
}

/** "Compressed" bytes are plain bytes; a leading 0xff means corrupt data. */
const fakeInflater: MessageInflater = {
  inflate(fragments, maxSize) {
    const out = Buffer.concat(fragments);
    if (out.length > 0 && out[0] === 0xff) throw new ProtocolError(CloseCode.InvalidPayload, 'corrupt');
    if (out.length > maxSize) throw new ProtocolError(CloseCode.MessageTooBig, 'too big');
    return out;
  },
};

interface Outcome {
  messages: { data: Buffer; isText: boolean }[];
  errors: number[];
  closes: number;
  eventsAfterEnd: number;
  state: string;
}

function feed(role: Role, withInflater: boolean, pieces: Buffer[]): Outcome {
  const outcome: Outcome = { messages: [], errors: [], closes: 0, eventsAfterEnd: 0, state: '' };
  let ended = false;
  const note = () => {
    if (ended) outcome.eventsAfterEnd++;
  };
  const sink: FrameSink = {
    onMessage: (data, isText) => (note(), outcome.messages.push({ data: Buffer.from(data), isText })),
    onPing: (p) => (note(), assert.ok(p.length <= 125)),
    onPong: (p) => (note(), assert.ok(p.length <= 125)),
    onClose: () => (note(), outcome.closes++, (ended = true)),
    onProtocolError: (e) => {
      note();
      assert.ok(e instanceof ProtocolError);
      outcome.errors.push(e.closeCode);
      ended = true;
    },
  };
  const parser = new FrameParser(sink, {
    role,
    maxPayload: MAX_PAYLOAD,
    maxFragments: MAX_FRAGMENTS,
    inflater: withInflater ? fakeInflater : null,
  });
  for (const piece of pieces) parser.push(piece);
  outcome.state = parser.state;
  return outcome;
}

function randomBytes(r: ReturnType<typeof prng>, length: number): Buffer {
  const b = Buffer.alloc(length);
  for (let i = 0; i < length; i++) b[i] = r.int(256);
  return b;
}

const TEXT_SAMPLES = ['tick', 'AAPL 189.25', 'Börse', '株価', '📈', 'κόσμε', ''];

function randomText(r: ReturnType<typeof prng>): Buffer {
  let s = '';
  for (let n = r.int(8); n > 0; n--) s += TEXT_SAMPLES[r.int(TEXT_SAMPLES.length)];
  return Buffer.from(s);
}

interface ValidStream {
  bytes: Buffer;
  messages: { data: Buffer; isText: boolean }[];
}

/** A valid stream as the peer of `role` sends it, with the messages it must produce. */
function validStream(r: ReturnType<typeof prng>, role: Role, withInflater: boolean): ValidStream {
  const frames: Buffer[] = [];
  const messages: { data: Buffer; isText: boolean }[] = [];
  const frame = (opcode: number, payload: Buffer, fin: boolean, rsv1: boolean) => {
    const key = role === 'server' ? randomBytes(r, 4) : null;
    const body = Buffer.from(payload);
    if (key) applyMask(body, key);
    frames.push(encodeFrameHeader(opcode, body.length, fin, rsv1, key), body);
  };
  for (let m = 1 + r.int(4); m > 0; m--) {
    if (r.chance(0.2)) {
      frame(r.chance(0.5) ? Opcode.Ping : Opcode.Pong, randomBytes(r, r.int(126)), true, false);
      continue;
    }
    const isText = r.chance(0.6);
    const data = isText ? randomText(r) : randomBytes(r, r.int(MAX_PAYLOAD + 1));
    if (withInflater && data[0] === 0xff) data[0] = 0;
    const compressed = withInflater && r.chance(0.5);
    messages.push({ data, isText });
    // Split into up to MAX_FRAGMENTS fragments, byte boundaries anywhere (even inside UTF-8).
    const fragments = 1 + r.int(MAX_FRAGMENTS);
    let at = 0;
    for (let f = 0; f < fragments; f++) {
      const last = f === fragments - 1;
      const end = last ? data.length : at + r.int(data.length - at + 1);
      frame(f === 0 ? (isText ? Opcode.Text : Opcode.Binary) : Opcode.Continuation, data.subarray(at, end), last, compressed && f === 0);
      at = end;
      if (!last && r.chance(0.2)) frame(Opcode.Ping, randomBytes(r, r.int(10)), true, false);
    }
  }
  if (r.chance(0.3)) {
    frame(Opcode.Close, Buffer.from([0x03, 0xe8, 0x6f, 0x6b]), true, false);
  }
  return { bytes: Buffer.concat(frames), messages };
}

function mutate(r: ReturnType<typeof prng>, input: Buffer): Buffer {
  let b = Buffer.from(input);
  for (let n = 1 + r.int(3); n > 0; n--) {
    const kind = r.int(5);
    if (b.length === 0) return randomBytes(r, 1 + r.int(20));
    const at = r.int(b.length);
    if (kind === 0) b[at]! ^= 1 << r.int(8); // bit flip
    else if (kind === 1) b[at] = r.int(256); // byte overwrite
    else if (kind === 2) b = b.subarray(0, at); // truncation
    else if (kind === 3) b = Buffer.concat([b.subarray(0, at), randomBytes(r, 1 + r.int(4)), b.subarray(at)]); // insertion
    else b = Buffer.concat([b.subarray(0, at), b.subarray(r.int(b.length))]); // splice
  }
  return b;
}

/** Cuts `bytes` at 0..6 random points (fresh copies: the parser unmasks in place). */
function split(r: ReturnType<typeof prng>, bytes: Buffer): Buffer[] {
  const cuts: number[] = [];
  for (let n = r.int(7); n > 0; n--) cuts.push(r.int(bytes.length + 1));
  cuts.sort((a, b) => a - b);
  const pieces: Buffer[] = [];
  let prev = 0;
  for (const cut of cuts) {
    pieces.push(Buffer.from(bytes.subarray(prev, cut)));
    prev = cut;
  }
  pieces.push(Buffer.from(bytes.subarray(prev)));
  return pieces;
}

function checkInvariants(outcome: Outcome, label: string): void {
  assert.ok(outcome.errors.length <= 1, `${label}: ${outcome.errors.length} error callbacks`);
  assert.ok(outcome.errors.length + outcome.closes <= 1, `${label}: both close and error`);
  assert.equal(outcome.eventsAfterEnd, 0, `${label}: events after close/error`);
  for (const code of outcome.errors) assert.ok(ALLOWED_CODES.has(code), `${label}: close code ${code}`);
  const expectedState = outcome.errors.length ? 'failed' : outcome.closes ? 'closed' : 'open';
  assert.equal(outcome.state, expectedState, label);
  for (const m of outcome.messages) {
    assert.ok(m.data.length <= MAX_PAYLOAD, `${label}: message of ${m.data.length} bytes delivered`);
    if (m.isText) assert.ok(Buffer.from(m.data.toString('utf8')).equals(m.data), `${label}: invalid text delivered`);
  }
}

test('fuzz: random and mutated input never escapes, fails once, with 1002/1007/1009 only', { timeout: 30_000 }, () => {
  const r = prng(0x7157ea);
  const started = Date.now();
  const seenCodes = new Set<number>();
  let validChecked = 0;
  for (let i = 0; i < ITERATIONS; i++) {
    // Role and inflater vary with the block of 10, so every input kind meets every combination.
    const block = Math.floor(i / 10);
    const role: Role = block % 2 === 0 ? 'server' : 'client';
    const withInflater = block % 4 >= 2;
    const label = `iteration ${i} (${role}${withInflater ? ', inflater' : ''})`;
    let bytes: Buffer;
    const kind = i % 10;
    if (kind < 3) {
      bytes = randomBytes(r, r.int(64));
    } else {
      const valid = validStream(r, role, withInflater);
      if (kind === 3) {
        // Unmutated: must produce exactly the generated messages and no error.
        const outcome = feed(role, withInflater, split(r, valid.bytes));
        checkInvariants(outcome, label);
        assert.deepEqual(outcome.errors, [], label);
        assert.deepEqual(outcome.messages, valid.messages, label);
        validChecked++;
        continue;
      }
      bytes = mutate(r, valid.bytes);
    }
    let outcome: Outcome;
    try {
      outcome = feed(role, withInflater, split(r, bytes));
    } catch (error) {
      assert.fail(`${label}: exception escaped push(): ${String(error)} for ${bytes.toString('hex')}`);
    }
    checkInvariants(outcome, label);
    for (const code of outcome.errors) seenCodes.add(code);
  }
  // The generator must actually reach every kind of failure, or the fuzz proves little.
  assert.deepEqual([...seenCodes].sort(), [1002, 1007, 1009]);
  assert.ok(validChecked >= ITERATIONS / 10 - 1);
  assert.ok(Date.now() - started < 20_000, 'fuzz run too slow');
});
