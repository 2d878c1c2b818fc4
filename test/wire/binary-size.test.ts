// Size and speed of tickstream.bin.v1 against the JSON wire, for realistic 50-quote messages. The
// figures are diagnostics (docs/wire-binary.md quotes them); only the size has a (loose) assertion.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ServerMessage, WireQuote } from '../../src/wire/types.js';
import { quoteToJson } from '../../src/wire/quote-json.js';
import {
  BinaryQuoteEncoder,
  decodeServerMessageBinary,
  encodeQuoteBinary,
  encodeServerMessageBinary,
  joinQuotesMessageBinary,
} from '../../src/wire/binary/index.js';

/** [symbol, prevClose in cents] — US large caps (100-900 USD) and A-shares. */
const UNIVERSE: [string, number][] = [
  ['AAPL', 18795], ['MSFT', 41550], ['NVDA', 87528], ['AMZN', 17815], ['GOOGL', 14180], ['META', 48410],
  ['TSLA', 25144], ['JPM', 19850], ['V', 27930], ['JNJ', 15620], ['WMT', 16540], ['XOM', 11820],
  ['UNH', 52310], ['HD', 34520], ['PG', 16210], ['MA', 45870], ['COST', 71250], ['LLY', 78230],
  ['NFLX', 61040], ['ORCL', 12575], ['600519.SH', 167990], ['000858.SZ', 14850], ['601318.SH', 4235],
  ['300750.SZ', 18820], ['600036.SH', 3312],
];

/** A deterministic generator (mulberry32). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    let t = (s = (s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** 50 realistic quotes, priced on the cent grid as the simulator does (cents / 100). */
function realisticQuotes(seed: number, n = 50): WireQuote[] {
  const random = rng(seed);
  const quotes: WireQuote[] = [];
  for (let i = 0; i < n; i++) {
    const [symbol, prev] = UNIVERSE[i % UNIVERSE.length]!;
    const last = Math.max(1, Math.round(prev * (1 + (random() - 0.5) * 0.04)));
    const spread = Math.max(1, Math.round(last * 0.0001));
    const open = Math.round(prev * (1 + (random() - 0.5) * 0.01));
    const high = Math.max(open, last) + Math.round(random() * prev * 0.005);
    const low = Math.min(open, last) - Math.round(random() * prev * 0.005);
    quotes.push({
      symbol,
      last: last / 100,
      bid: (last - spread) / 100,
      ask: (last + spread) / 100,
      open: open / 100,
      high: high / 100,
      low: low / 100,
      prevClose: prev / 100,
      change: (last - prev) / 100,
      changePct: Math.round(((last - prev) / prev) * 10000) / 100,
      volume: 1_000_000 + Math.floor(random() * 40_000_000),
      ts: 1732400000000 + i * 37 + Math.floor(random() * 20),
      seq: 1000 + Math.floor(random() * 9000),
    });
  }
  return quotes;
}

/** Microseconds per call of `fn`, best of 5 rounds of `n` calls. */
function timeUs(n: number, fn: () => unknown): number {
  let sink: unknown;
  for (let i = 0; i < n; i++) sink = fn(); // warm-up
  let best = Infinity;
  for (let round = 0; round < 5; round++) {
    const started = process.hrtime.bigint();
    for (let i = 0; i < n; i++) sink = fn();
    best = Math.min(best, Number(process.hrtime.bigint() - started) / 1000 / n);
  }
  if (sink === Symbol.for('never')) throw new Error('unreachable');
  return best;
}

describe('tickstream.bin.v1 size and speed (diagnostics)', { timeout: 120_000 }, () => {
  test('bytes per quote in a 50-quote message: binary vs JSON', (t) => {
    let binaryTotal = 0;
    let jsonTotal = 0;
    const seeds = [1, 2, 3, 4, 5, 6, 7, 8];
    for (const seed of seeds) {
      const m: ServerMessage = { type: 'quotes', quotes: realisticQuotes(seed), offset: 48213 + seed * 50 };
      const binary = encodeServerMessageBinary(m);
      assert.deepStrictEqual(decodeServerMessageBinary(binary), m);
      binaryTotal += binary.length;
      jsonTotal += Buffer.byteLength(JSON.stringify(m));
    }
    const perQuoteBinary = binaryTotal / seeds.length / 50;
    const perQuoteJson = jsonTotal / seeds.length / 50;
    const quotes = realisticQuotes(1);
    const us = quotes.filter((q) => !q.symbol.includes('.')).map((q) => encodeQuoteBinary(q).length);
    const ashare = quotes.filter((q) => q.symbol.includes('.')).map((q) => encodeQuoteBinary(q).length);
    const avg = (xs: number[]) => (xs.reduce((a, b) => a + b, 0) / xs.length).toFixed(1);
    t.diagnostic(
      `50-quote message: binary ${(binaryTotal / seeds.length).toFixed(0)} B, JSON ${(jsonTotal / seeds.length).toFixed(0)} B; ` +
        `per quote binary ${perQuoteBinary.toFixed(1)} B vs JSON ${perQuoteJson.toFixed(1)} B = ${((100 * perQuoteBinary) / perQuoteJson).toFixed(1)}%; ` +
        `one quote alone: US ${avg(us)} B, A-share ${avg(ashare)} B`,
    );
    assert.ok(perQuoteBinary < perQuoteJson / 3, 'well under a third of JSON');
  });

  test('encode and decode speed of a 50-quote message vs JSON', (t) => {
    const quotes = realisticQuotes(42);
    const m: ServerMessage = { type: 'quotes', quotes, offset: 48213 };
    const json = JSON.stringify(m);
    const binary = encodeServerMessageBinary(m);
    const n = 2000;
    const stringify = timeUs(n, () => JSON.stringify(m));
    const handJson = timeUs(n, () => {
      let s = '{"type":"quotes","quotes":[';
      for (let i = 0; i < quotes.length; i++) s += (i === 0 ? '' : ',') + quoteToJson(quotes[i]!);
      return s + '],"offset":48213}';
    });
    const handJsonBytes = timeUs(n, () => {
      let s = '{"type":"quotes","quotes":[';
      for (let i = 0; i < quotes.length; i++) s += (i === 0 ? '' : ',') + quoteToJson(quotes[i]!);
      return Buffer.from(s + '],"offset":48213}');
    });
    const encode = timeUs(n, () => encodeServerMessageBinary(m));
    // Fresh quote objects every time defeat the per-quote cache: this is the cost of encoding them.
    const fresh = quotes.map((q) => [q, { ...q }, { ...q }] as const);
    let flip = 0;
    const cachedEncoder = new BinaryQuoteEncoder();
    const encoderFresh = timeUs(n, () => {
      flip = (flip + 1) % 3;
      const batch: WireQuote[] = new Array(fresh.length);
      for (let i = 0; i < fresh.length; i++) batch[i] = fresh[i]![flip]!;
      return cachedEncoder.quotesMessage(batch, 48213);
    });
    const encodedQuotes = quotes.map(encodeQuoteBinary);
    const join = timeUs(n, () => joinQuotesMessageBinary(encodedQuotes, 48213));
    const parse = timeUs(n, () => JSON.parse(json));
    const decode = timeUs(n, () => decodeServerMessageBinary(binary));
    const f = (us: number) => `${us.toFixed(1)} µs`;
    t.diagnostic(
      `encode 50 quotes: binary ${f(encode)} (BinaryQuoteEncoder, new quote objects: ${f(encoderFresh)}; ` +
        `join of already-encoded quotes: ${f(join)}) vs JSON.stringify ${f(stringify)}, hand-written JSON string ${f(handJson)}, ` +
        `as UTF-8 bytes ${f(handJsonBytes)}; binary/JSON.stringify = ${(encode / stringify).toFixed(2)}x, ` +
        `binary/hand-written = ${(encode / handJson).toFixed(2)}x`,
    );
    t.diagnostic(`decode 50 quotes: binary ${f(decode)} vs JSON.parse ${f(parse)} = ${(decode / parse).toFixed(2)}x`);
  });
});
