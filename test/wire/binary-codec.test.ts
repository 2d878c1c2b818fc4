// tickstream.bin.v1: round trips of thousands of seeded random messages of every type, the decoder
// against random bytes, mutations and every truncation of valid frames, and the API's corners.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { CommandId, ServerMessage, WireQuote, WireSymbolInfo } from '../../src/wire/types.js';
import { decodeServerMessage } from '../../src/wire/decode.js';
import {
  BINARY_FORMAT_VERSION,
  BinaryDecodeError,
  BinaryQuoteEncoder,
  MESSAGE_CODES,
  decodeServerMessageBinary,
  encodeQuoteBinary,
  encodeServerMessageBinary,
  joinQuotesMessageBinary,
  quotesMessageHeadBinary,
  snapshotMessageHeadBinary,
} from '../../src/wire/binary/index.js';

// ---- a small seeded generator (mulberry32) ---------------------------------------------------------

class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  /** [0, 1) */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** An integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  bool(pTrue = 0.5): boolean {
    return this.next() < pTrue;
  }
  pick<T>(list: readonly T[]): T {
    return list[Math.floor(this.next() * list.length)]!;
  }
  byte(): number {
    return Math.floor(this.next() * 256);
  }
}

const EDGE_NUMBERS: readonly number[] = [
  0, -0, 1, -1, 0.5, -0.5, 0.1, 0.01, 189.23, 1688.88, 0.00012345, 1.005, 123456.789012,
  2 ** 31, -(2 ** 31), 2 ** 32, 2 ** 53 - 1, -(2 ** 53 - 1), 2 ** 53, -(2 ** 53), 2 ** 60, 1e21, -1e21,
  Number.MAX_VALUE, Number.MIN_VALUE, -Number.MIN_VALUE, Number.EPSILON, 1 / 3, Math.PI, -Math.E,
  NaN, Infinity, -Infinity, 1e-7, 123.456789012345, 0.1 + 0.2, 9007199254740.99, 90071992547409.91,
];

const STRINGS: readonly string[] = [
  '', 'AAPL', 'MSFT', '600519.SH', '000858.SZ', 'BRK.B', '贵州茅台', 'Ünïcødé-€', '📈🚀', 'a"b\\c',
  '\u0000nul', '\uFEFFbom-first', 'tab\tnew\nline', 'x'.repeat(127), 'y'.repeat(128), 'ü'.repeat(300),
  'mi4x9k2a-3f9c1e', 'tickstream', '0.1.0', 'no data from ingest for 3 s',
];

function randomString(rng: Rng): string {
  if (rng.bool(0.7)) return rng.pick(STRINGS);
  const alphabet = 'ABCXYZ0189.-_é€贵😀 ';
  const chars = [...alphabet];
  let s = '';
  const n = rng.int(0, 20);
  for (let i = 0; i < n; i++) s += rng.pick(chars);
  return s;
}

function randomStrings(rng: Rng): string[] {
  const n = rng.pick([0, 0, 1, 2, 5, 40]);
  return Array.from({ length: n }, () => randomString(rng));
}

/** Any number: edge values, integers of every magnitude, decimals with up to 17 decimals. */
function randomNumber(rng: Rng): number {
  switch (rng.int(0, 4)) {
    case 0:
      return rng.pick(EDGE_NUMBERS);
    case 1:
      return rng.int(-1000, 1000);
    case 2:
      return Math.round((rng.next() - 0.5) * 2 ** rng.int(1, 53));
    case 3: {
      const k = rng.int(0, 17);
      return Math.round((rng.next() - 0.3) * 10 ** rng.int(0, 15)) / 10 ** k;
    }
    default:
      return (rng.next() - 0.5) * 10 ** rng.int(-10, 20);
  }
}

/** A price on a decimal grid (2 to 8 decimals), or now and then any number. */
function randomPrice(rng: Rng, around: number, decimals: number): number {
  if (rng.bool(0.05)) return randomNumber(rng);
  const scale = 10 ** decimals;
  return Math.round(around * scale * (1 + (rng.next() - 0.5) * 0.04)) / scale;
}

function randomQuote(rng: Rng): WireQuote {
  if (rng.bool(0.1)) {
    // Anything goes (types only).
    return {
      symbol: randomString(rng), last: randomNumber(rng), bid: randomNumber(rng), ask: randomNumber(rng),
      open: randomNumber(rng), high: randomNumber(rng), low: randomNumber(rng), prevClose: randomNumber(rng),
      change: randomNumber(rng), changePct: randomNumber(rng), volume: randomNumber(rng), ts: randomNumber(rng),
      seq: randomNumber(rng),
    };
  }
  const decimals = rng.pick([2, 2, 2, 2, 3, 4, 8]);
  const base = rng.pick([0.00012345, 0.5, 9.87, 42.35, 189.23, 415.5, 875.28, 1688.88, 65000.12]);
  const last = randomPrice(rng, base, decimals);
  const prevClose = randomPrice(rng, base, decimals);
  const change = rng.bool(0.8) ? Math.round((last - prevClose) * 10 ** decimals) / 10 ** decimals : randomNumber(rng);
  return {
    symbol: randomString(rng),
    last,
    bid: randomPrice(rng, last, decimals),
    ask: randomPrice(rng, last, decimals),
    open: randomPrice(rng, base, decimals),
    high: randomPrice(rng, base, decimals),
    low: randomPrice(rng, base, decimals),
    prevClose,
    change,
    changePct: rng.bool(0.9) ? Math.round(rng.next() * 2000 - 1000) / 100 : randomNumber(rng),
    volume: rng.pick([0, rng.int(0, 1e9), 2 ** 53 - 1, rng.int(0, 2 ** 40), randomNumber(rng)]),
    ts: rng.bool(0.9) ? 1732400000000 + rng.int(0, 1e9) : randomNumber(rng),
    seq: rng.bool(0.9) ? rng.int(0, 1e6) : randomNumber(rng),
  };
}

function randomQuotes(rng: Rng): WireQuote[] {
  const n = rng.pick([0, 1, 2, 3, 10, 50]);
  const quotes = Array.from({ length: n }, () => randomQuote(rng));
  if (n > 1 && rng.bool(0.3)) quotes.push(quotes[0]!); // the same symbol twice (interval 0)
  return quotes;
}

function randomId(rng: Rng): CommandId {
  return rng.bool() ? randomString(rng) : randomNumber(rng);
}

/** Sets `key` to a random value, or leaves it absent. */
function maybe<T extends object, K extends string, V>(rng: Rng, target: T, key: K, value: () => V): T & { [P in K]?: V } {
  if (rng.bool()) (target as Record<string, unknown>)[key] = value();
  return target as T & { [P in K]?: V };
}

const FEED_STATES = ['up', 'stale', 'down'] as const;
const ERROR_CODES = ['bad_json', 'bad_request', 'unknown_command', 'unknown_symbol', 'too_many_symbols', 'rate_limited', 'forbidden', 'forbidden_symbol', 'invalid_token', 'token_expired', 'auth_unavailable'] as const;

function randomMessage(rng: Rng, type: ServerMessage['type']): ServerMessage {
  switch (type) {
    case 'welcome': {
      const feed = maybe(rng, { state: rng.pick(FEED_STATES) }, 'reason', () => randomString(rng));
      return maybe(rng, {
        type, server: randomString(rng), version: randomString(rng), epoch: randomString(rng), feed,
        interval: randomNumber(rng), heartbeat: randomNumber(rng), symbols: randomStrings(rng),
      }, 'worker', () => randomNumber(rng));
    }
    case 'epoch':
      return { type, epoch: randomString(rng), previous: randomString(rng) };
    case 'status':
      return maybe(rng, { type, feed: rng.pick(FEED_STATES) }, 'reason', () => randomString(rng));
    case 'symbols': {
      const added: WireSymbolInfo[] = Array.from({ length: rng.pick([0, 1, 3]) }, () => ({
        symbol: randomString(rng), name: randomString(rng), exchange: randomString(rng), currency: randomString(rng), prevClose: randomNumber(rng),
      }));
      return { type, added, removed: randomStrings(rng) };
    }
    case 'snapshot': {
      const m = maybe(rng, { type, quotes: randomQuotes(rng), offset: rng.bool(0.8) ? rng.int(0, 1e9) : randomNumber(rng) }, 'id', () => randomId(rng));
      return maybe(rng, m, 'recovered', () => rng.bool());
    }
    case 'quotes':
      return { type, quotes: randomQuotes(rng), offset: rng.bool(0.8) ? rng.int(0, 1e9) : randomNumber(rng) };
    case 'subscriptions':
      return maybe(rng, { type, symbols: randomStrings(rng) }, 'id', () => randomId(rng));
    case 'interval':
      return maybe(rng, { type, interval: randomNumber(rng) }, 'id', () => randomId(rng));
    case 'heartbeat':
      return { type, ts: randomNumber(rng) };
    case 'pong':
      return maybe(rng, { type, ts: randomNumber(rng) }, 'id', () => randomId(rng));
    case 'refreshed': {
      const m = maybe(rng, { type, sub: randomString(rng), expiresAt: rng.bool() ? randomNumber(rng) : null }, 'id', () => randomId(rng));
      return maybe(rng, m, 'removed', () => randomStrings(rng));
    }
    case 'error': {
      const m = maybe(rng, { type, code: rng.pick(ERROR_CODES), message: randomString(rng) }, 'id', () => randomId(rng));
      return maybe(rng, m, 'symbols', () => randomStrings(rng));
    }
    case 'bars': {
      // Bar starts travel as differences, so they are real times here (increasing integers).
      let t = rng.int(0, 2e12);
      const bars = Array.from({ length: rng.pick([0, 1, 5]) }, () => ({
        t: (t += rng.int(1, 1e6)), o: randomNumber(rng), h: randomNumber(rng), l: randomNumber(rng), c: randomNumber(rng), v: randomNumber(rng),
      }));
      return maybe(rng, { type, symbol: randomString(rng), tf: rng.pick(['1s', '5s', '1m', '5m'] as const), epoch: randomString(rng), offset: rng.int(0, 1e9), seq: rng.int(0, 1e9), volume: randomNumber(rng), bars }, 'id', () => randomId(rng));
    }
  }
}

const TYPES = Object.keys(MESSAGE_CODES) as ServerMessage['type'][];

/** N random messages, every type in turn. */
function messages(seed: number, n: number): ServerMessage[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, (_, i) => randomMessage(rng, TYPES[i % TYPES.length]!));
}

/** Decodes; returns the message, or the BinaryDecodeError; anything else thrown fails the test. */
function tryDecode(bytes: Uint8Array): ServerMessage | BinaryDecodeError {
  try {
    return decodeServerMessageBinary(bytes);
  } catch (err) {
    if (err instanceof BinaryDecodeError) return err;
    throw new Error(`decoder threw something other than BinaryDecodeError for ${hex(bytes)}: ${String(err)}`);
  }
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes.subarray(0, 80), (b) => b.toString(16).padStart(2, '0')).join(' ') + (bytes.length > 80 ? ' …' : '');
}

const AAPL: WireQuote = {
  symbol: 'AAPL', last: 189.23, bid: 189.22, ask: 189.24, open: 188.1, high: 190, low: 187.9, prevClose: 187.95,
  change: 1.28, changePct: 0.68, volume: 1234567, ts: 1732400000123, seq: 42,
};
const MOUTAI: WireQuote = {
  symbol: '600519.SH', last: 1688.88, bid: 1688.87, ask: 1688.89, open: 1680, high: 1692.5, low: 1677.01, prevClose: 1679.9,
  change: 8.98, changePct: 0.53, volume: 2345678, ts: 1732400000456, seq: 5123,
};

describe('tickstream.bin.v1 round trips', { timeout: 120_000 }, () => {
  test('5000 seeded random messages of every type decode to deep-equal messages', (t) => {
    const all = messages(0x7157, 5000);
    let bytes = 0;
    for (const m of all) {
      const encoded = encodeServerMessageBinary(m);
      bytes += encoded.length;
      assert.equal(encoded[0], BINARY_FORMAT_VERSION);
      assert.equal(encoded[1], MESSAGE_CODES[m.type]);
      let decoded: ServerMessage;
      try {
        decoded = decodeServerMessageBinary(encoded);
      } catch (err) {
        assert.fail(`${JSON.stringify(m)} → ${hex(encoded)}: ${String(err)}`);
      }
      assert.deepStrictEqual(decoded, m, `round trip of ${hex(encoded)}`);
    }
    t.diagnostic(`${all.length} messages, ${bytes} bytes in all`);
  });

  test('edge values in every quote field: 0, -0, negatives, NaN, ±Infinity, 2^53-1, many decimals', () => {
    for (const field of ['last', 'bid', 'ask', 'open', 'high', 'low', 'prevClose', 'change', 'changePct', 'volume', 'ts', 'seq'] as const) {
      for (const value of EDGE_NUMBERS) {
        const q = { ...AAPL, [field]: value };
        const m: ServerMessage = { type: 'quotes', quotes: [q, MOUTAI], offset: 0 };
        assert.deepStrictEqual(decodeServerMessageBinary(encodeServerMessageBinary(m)), m, `${field} = ${value}`);
      }
    }
  });

  test('prices like 189.23, 1688.88 and 0.00012345 come back as the identical double', () => {
    const prices = [189.23, 1688.88, 0.00012345, 0.1, 0.3, 1.005, 100.07, 999999.99, 12.345678, 0.07, 65000.12345678];
    for (const price of prices) {
      const q = { ...AAPL, last: price, bid: price, ask: price, open: price, high: price, low: price, prevClose: price, change: 0 };
      const back = decodeServerMessageBinary(encodeServerMessageBinary({ type: 'quotes', quotes: [q], offset: 1 }));
      assert.ok(back.type === 'quotes');
      assert.ok(Object.is(back.quotes[0]!.last, price), `${price}`);
      assert.deepStrictEqual(back.quotes[0], q);
    }
  });

  test('finite messages decode to what the JSON wire decodes to', () => {
    const m: ServerMessage = { type: 'snapshot', id: 4, quotes: [AAPL, MOUTAI], offset: 48213, recovered: true };
    assert.deepStrictEqual(decodeServerMessageBinary(encodeServerMessageBinary(m)), decodeServerMessage(JSON.stringify(m)));
  });

  test('empty arrays, absent and present optional members, string and numeric ids', () => {
    const cases: ServerMessage[] = [
      { type: 'quotes', quotes: [], offset: 0 },
      { type: 'snapshot', quotes: [], offset: 0 },
      { type: 'snapshot', quotes: [], offset: 0, recovered: false },
      { type: 'snapshot', id: 'req-1', quotes: [AAPL], offset: 7, recovered: true },
      { type: 'snapshot', id: 0, quotes: [AAPL], offset: 7 },
      { type: 'subscriptions', symbols: [] },
      { type: 'subscriptions', id: -12.5, symbols: ['*'] },
      { type: 'symbols', added: [], removed: [] },
      { type: 'refreshed', sub: 'alice', expiresAt: null },
      { type: 'refreshed', id: 'x', sub: 'alice', expiresAt: 1796000000000, removed: [] },
      { type: 'error', code: 'bad_json', message: 'message is not valid JSON' },
      { type: 'error', id: 1, code: 'unknown_symbol', message: 'unknown symbols', symbols: ['NOPE', '贵州茅台'] },
      { type: 'status', feed: 'up' },
      { type: 'welcome', server: 'tickstream', version: '0.1.0', epoch: 'mi4x9k2a-3f9c1e', feed: { state: 'up' }, interval: 1000, heartbeat: 15000, symbols: ['*'] },
      { type: 'welcome', server: 'tickstream', version: '0.1.0', epoch: 'e', feed: { state: 'stale', reason: 'r' }, interval: 0, heartbeat: 0, symbols: [], worker: 3 },
    ];
    for (const m of cases) assert.deepStrictEqual(decodeServerMessageBinary(encodeServerMessageBinary(m)), m, JSON.stringify(m));
  });

  test('strings are UTF-8: unicode symbols round-trip, a lone surrogate becomes U+FFFD', () => {
    const symbols = ['贵州茅台', 'Ünïcødé-€', '📈', '\uFEFF', '\uFEFFBOM', 'ASCII'];
    const m: ServerMessage = { type: 'subscriptions', id: '€', symbols };
    assert.deepStrictEqual(decodeServerMessageBinary(encodeServerMessageBinary(m)), m);
    const lone = decodeServerMessageBinary(encodeServerMessageBinary({ type: 'subscriptions', symbols: ['a\uD800b'] }));
    assert.deepStrictEqual(lone, { type: 'subscriptions', symbols: ['a\uFFFDb'] });
  });

  test('a quote\'s bytes do not depend on the message around it (encode once, share among frames)', () => {
    const qs = [AAPL, MOUTAI, AAPL];
    const whole = encodeServerMessageBinary({ type: 'quotes', quotes: qs, offset: 48220 });
    assert.deepStrictEqual(joinQuotesMessageBinary(qs.map(encodeQuoteBinary), 48220), whole);
    const head = quotesMessageHeadBinary(48220, 3);
    assert.deepStrictEqual(whole.subarray(0, head.length), head);

    const encoder = new BinaryQuoteEncoder();
    assert.deepStrictEqual(encoder.quotesMessage(qs, 48220), whole);
    assert.equal(encoder.quoteBytes(AAPL), encoder.quoteBytes(AAPL), 'the same quote object is encoded once');
    const next = { ...AAPL, last: 189.3, seq: 43 };
    assert.deepStrictEqual(encoder.quoteBytes(next), encodeQuoteBinary(next), 'a replaced quote is re-encoded');
    for (const [id, recovered] of [[undefined, undefined], [4, true], ['s', false]] as [CommandId | undefined, boolean | undefined][]) {
      const snapshot = encoder.snapshotMessage(id, qs, 9, recovered);
      const m: ServerMessage = { type: 'snapshot', quotes: qs, offset: 9 };
      if (id !== undefined) m.id = id;
      if (recovered !== undefined) m.recovered = recovered;
      assert.deepStrictEqual(snapshot, encodeServerMessageBinary(m));
      assert.deepStrictEqual(snapshot.subarray(0, snapshotMessageHeadBinary(id, 9, 3, recovered).length), snapshotMessageHeadBinary(id, 9, 3, recovered));
      assert.deepStrictEqual(decodeServerMessageBinary(snapshot), m);
    }
    encoder.forget('AAPL');
    assert.deepStrictEqual(encoder.quoteBytes(AAPL), encodeQuoteBinary(AAPL));
  });

  test('input may be a Buffer at a byte offset, a Uint8Array or an ArrayBuffer', () => {
    const m: ServerMessage = { type: 'quotes', quotes: [AAPL, { ...MOUTAI, last: NaN }], offset: 3 };
    const bytes = encodeServerMessageBinary(m);
    const pooled = Buffer.concat([Buffer.from([9, 9, 9]), Buffer.from(bytes)]).subarray(3);
    assert.ok(pooled.byteOffset >= 3);
    assert.deepStrictEqual(decodeServerMessageBinary(pooled), m);
    const copy = new Uint8Array(bytes.length);
    copy.set(bytes);
    const ab: ArrayBuffer = copy.buffer;
    assert.deepStrictEqual(decodeServerMessageBinary(ab), m);
    // An odd offset: float64 reads must not need alignment.
    const odd = new Uint8Array(bytes.length + 1);
    odd.set(bytes, 1);
    assert.deepStrictEqual(decodeServerMessageBinary(odd.subarray(1)), m);
  });

  test('a recovery-sized snapshot (100,000 quotes) round-trips, and small messages still encode after it', () => {
    const quotes = Array.from({ length: 100_000 }, (_, i) => ({ ...AAPL, last: 100 + (i % 5000) / 100, seq: i }));
    const m: ServerMessage = { type: 'snapshot', id: 'since', quotes, offset: 1e9, recovered: true };
    const encoded = encodeServerMessageBinary(m);
    assert.ok(encoded.length < 100_000 * 48, `${encoded.length} bytes`);
    assert.deepStrictEqual(decodeServerMessageBinary(encoded), m);
    const small: ServerMessage = { type: 'heartbeat', ts: 1732400015000 };
    assert.deepStrictEqual(decodeServerMessageBinary(encodeServerMessageBinary(small)), small);
  });

  test('the encoder refuses values outside the message types with a TypeError', () => {
    assert.throws(() => encodeServerMessageBinary({ type: 'launch' } as unknown as ServerMessage), TypeError);
    assert.throws(() => encodeServerMessageBinary({ type: 'toString' } as unknown as ServerMessage), TypeError);
    assert.throws(() => encodeServerMessageBinary({ type: 'pong', id: null, ts: 1 } as unknown as ServerMessage), TypeError);
    assert.throws(() => encodeServerMessageBinary({ type: 'subscriptions', symbols: [1] } as unknown as ServerMessage), TypeError);
    assert.throws(() => encodeServerMessageBinary({ type: 'quotes', quotes: [{ ...AAPL, last: '1' }], offset: 1 } as unknown as ServerMessage), TypeError);
    assert.throws(() => encodeServerMessageBinary({ type: 'quotes', quotes: [{ ...AAPL, volume: undefined }], offset: 1 } as unknown as ServerMessage), TypeError);
  });
});

describe('tickstream.bin.v1 decoder robustness', { timeout: 120_000 }, () => {
  const expectDecodeError = (bytes: Uint8Array, pattern: RegExp) =>
    assert.throws(() => decodeServerMessageBinary(bytes), (err: unknown) => err instanceof BinaryDecodeError && pattern.test(err.message));

  test('clear errors: empty frame, another version, unknown type, trailing bytes, reserved bits, bad UTF-8', () => {
    expectDecodeError(new Uint8Array(0), /empty frame/);
    expectDecodeError(new Uint8Array([2, 6, 0, 0, 0]), /unsupported format version 2 \(this decoder reads version 1 only\)/);
    expectDecodeError(new Uint8Array([0x7b, 0x22]), /unsupported format version 123/); // a JSON text frame
    expectDecodeError(new Uint8Array([1, 0x0e]), /unknown message type code 0x0e/);
    expectDecodeError(new Uint8Array([1, 0x00]), /unknown message type code 0x00/);
    expectDecodeError(new Uint8Array([1, 9, 0, 2, 0]), /1 trailing byte after the heartbeat message/);
    expectDecodeError(new Uint8Array([1, 10, 0x10, 0, 0]), /pong flags: reserved bits set/);
    expectDecodeError(new Uint8Array([1, 9, 7]), /unknown number tag 0x07/);
    expectDecodeError(new Uint8Array([1, 9, 1, 16, 2]), /decimal scale 16 outside 1\.\.15/);
    expectDecodeError(new Uint8Array([1, 2, 2, 0xc3, 0x28, 0]), /invalid UTF-8/);
    expectDecodeError(new Uint8Array([1, 9, 0, 0x80, 0x00]), /overlong varint/);
    expectDecodeError(new Uint8Array([1, 9, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]), /longer than 8 bytes/);
    expectDecodeError(new Uint8Array([1, 6, 0, 0, 0xff, 0xff, 0xff, 0x0f]), /quote count: .* cannot fit/);
    expectDecodeError(new Uint8Array([1, 7, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f]), /cannot fit|above 2\^53/);
    expectDecodeError(new Uint8Array([1, 9, 0]), /truncated frame: heartbeat ts needs 1 byte, 0 left of 3/);
    const quote = encodeQuoteBinary(AAPL);
    const badMask = new Uint8Array([1, 6, 0, 0, 1, ...quote.subarray(0, 5), quote[5]! | 0x80, 0x00, ...quote.subarray(6)]);
    expectDecodeError(badMask, /exception mask 0x0 is empty/);
  });

  test('every truncation of valid frames throws BinaryDecodeError, and so does any byte appended', () => {
    const all = messages(0xbeef, 600);
    let cuts = 0;
    for (const m of all) {
      const bytes = encodeServerMessageBinary(m);
      for (let n = 0; n < bytes.length; n++) {
        const r = tryDecode(bytes.subarray(0, n));
        assert.ok(r instanceof BinaryDecodeError, `prefix of ${n}/${bytes.length} bytes of ${m.type} decoded`);
        cuts++;
      }
      const longer = new Uint8Array(bytes.length + 1);
      longer.set(bytes);
      assert.ok(tryDecode(longer) instanceof BinaryDecodeError);
    }
    assert.ok(cuts > 10_000);
  });

  test('random byte strings and mutated frames: a message or BinaryDecodeError, never anything else, never a hang', (t) => {
    const rng = new Rng(0xf00d);
    let decoded = 0;
    let refused = 0;
    const check = (bytes: Uint8Array) => {
      const r = tryDecode(bytes);
      if (r instanceof BinaryDecodeError) {
        assert.ok(r.offset >= 0 && r.offset <= bytes.length, `error offset ${r.offset} within the frame`);
        refused++;
        return;
      }
      decoded++;
      // Whatever decodes is a well-formed message: it re-encodes and decodes to the same value.
      assert.deepStrictEqual(decodeServerMessageBinary(encodeServerMessageBinary(r)), r);
    };
    const started = Date.now();
    // Pure noise, then noise behind a valid version byte and type code.
    for (let i = 0; i < 20_000; i++) {
      const bytes = new Uint8Array(rng.int(0, 64));
      for (let j = 0; j < bytes.length; j++) bytes[j] = rng.byte();
      check(bytes);
      if (bytes.length >= 2) {
        bytes[0] = BINARY_FORMAT_VERSION;
        bytes[1] = rng.int(1, 12);
        check(bytes);
      }
    }
    // Valid frames with 1-3 bytes changed.
    for (const m of messages(0xcafe, 3000)) {
      const bytes = encodeServerMessageBinary(m);
      if (bytes.length <= 2) continue;
      for (let k = 0; k < 4; k++) {
        const mutated = bytes.slice();
        const changes = rng.int(1, 3);
        for (let c = 0; c < changes; c++) mutated[rng.int(1, mutated.length - 1)] = rng.bool() ? rng.byte() : mutated[rng.int(0, mutated.length - 1)]! ^ (1 << rng.int(0, 7));
        check(mutated);
      }
    }
    t.diagnostic(`${decoded} decoded, ${refused} refused with BinaryDecodeError in ${Date.now() - started} ms`);
    assert.ok(decoded > 0 && refused > 0);
  });

  test('a huge declared count or string length is refused at once, without allocating or looping', () => {
    // quotes message claiming 2^53-1 quotes; a string claiming 2^40 bytes.
    const started = Date.now();
    expectDecodeError(new Uint8Array([1, 6, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f]), /cannot fit/);
    expectDecodeError(new Uint8Array([1, 2, 0x80, 0x80, 0x80, 0x80, 0x80, 0x20]), /truncated frame: epoch epoch needs/);
    assert.ok(Date.now() - started < 100);
  });
});
