import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BrokerCodecError,
  decodeEntry,
  decodeLastValue,
  decodeState,
  encodeBatchEntries,
  encodeBatchEntry,
  encodeHeartbeatEntry,
  encodeLastValue,
  encodeMeta,
  encodeResetEntry,
  encodeStatusEntry,
  encodeSymbolInfo,
  encodeUniverseEntry,
} from '../../src/broker/redis-codec.js';
import type { StreamQuote } from '../../src/broker/stream.js';
import { symbolInfo } from './harness.js';

function quote(symbol: string, seq: number, offset: number, last = 189.23): StreamQuote {
  return {
    symbol,
    last,
    bid: last - 0.01,
    ask: last + 0.01,
    open: 188,
    high: 190.5,
    low: 187.02,
    prevClose: 188.1,
    change: 1.13,
    changePct: 0.6,
    volume: 1_234_567,
    ts: 1_717_200_000_123,
    seq,
    offset,
  };
}

const EPOCH = 'mi4x9k2a-3f9c1e';

describe('broker entry codec', { timeout: 10_000 }, () => {
  test('a batch round-trips, offsets consecutive from the first', () => {
    const batch = [quote('AAPL', 7, 41), quote('600519.SH', 3, 42, 1530.5), quote('AAPL', 8, 43, 189.3), quote('名字 "x"', 1, 44, 0.01)];
    const fields = encodeBatchEntry(EPOCH, batch);
    assert.deepEqual(fields.slice(0, 6), ['t', 'b', 'e', EPOCH, 'o', '41']);
    assert.ok(fields[7]!.length < JSON.stringify(batch).length * 0.7, 'rows are much smaller than objects');
    assert.deepEqual(decodeEntry(fields), { kind: 'batch', epoch: EPOCH, offset: 41, quotes: batch });
  });

  test('numbers come back exactly, on the price grid or not', () => {
    const values = [0, 1, -1, 0.01, -0.01, 0.05, 0.1, 0.6, 99.8, 99.87, -12.3, 1530.5, 189.23000000000002, 0.1 + 0.2, 1e-7, 123456789.12, 1e21, 2 ** 53, -4.05, 1_717_200_000_123];
    for (let c = -100_000; c <= 100_000; c += 7) values.push(c / 100);
    const batch = values.map((v, i) => ({ ...quote('X', i + 1, i + 1), last: v, changePct: -v }));
    const decoded = decodeEntry(encodeBatchEntry(EPOCH, batch));
    assert.equal(decoded.kind, 'batch');
    // === rather than Object.is: -0 is written as 0, as JSON does.
    const wrong = decoded.kind === 'batch' ? decoded.quotes.filter((q, i) => q.last !== values[i] || q.changePct !== -values[i]!) : [];
    assert.deepEqual(wrong, []);
  });

  test('a big batch becomes several consecutive entries', () => {
    const batch = Array.from({ length: 7 }, (_, i) => quote(i % 2 === 0 ? 'AAPL' : 'MSFT', i + 1, 100 + i));
    const entries = encodeBatchEntries(EPOCH, batch, 3);
    const decoded = entries.map((e) => decodeEntry(e.map(String)));
    assert.deepEqual(decoded.map((d) => d.offset), [100, 103, 106]);
    assert.deepEqual(decoded.flatMap((d) => (d.kind === 'batch' ? d.quotes : [])), batch);
    assert.deepEqual(encodeBatchEntries(EPOCH, batch, 7).map((e) => e.map(String)), [encodeBatchEntry(EPOCH, batch)]);
  });

  test('a row in an entry is the same text as the value in last', () => {
    const q = quote('名字 "x"', 3, 9, 0.1 + 0.2);
    assert.ok(encodeBatchEntry(EPOCH, [q])[7]!.includes(encodeLastValue(q)));
  });

  test('universe, status, heartbeat and reset entries round-trip', () => {
    const added = [symbolInfo('AAPL'), symbolInfo('MSFT')];
    assert.deepEqual(decodeEntry(encodeUniverseEntry(EPOCH, 9, added, ['IBM'])), { kind: 'universe', epoch: EPOCH, offset: 9, added, removed: ['IBM'] });
    assert.deepEqual(decodeEntry(encodeStatusEntry(EPOCH, 9, { state: 'stale', reason: 'upstream quiet' })), {
      kind: 'status',
      epoch: EPOCH,
      offset: 9,
      status: { state: 'stale', reason: 'upstream quiet' },
    });
    assert.deepEqual(decodeEntry(encodeStatusEntry(EPOCH, 0, { state: 'up' })), { kind: 'status', epoch: EPOCH, offset: 0, status: { state: 'up' } });
    assert.deepEqual(decodeEntry(encodeHeartbeatEntry(EPOCH, 12)), { kind: 'heartbeat', epoch: EPOCH, offset: 12 });
    assert.deepEqual(decodeEntry(encodeResetEntry(EPOCH, 0)), { kind: 'reset', epoch: EPOCH, offset: 0 });
  });

  const good = encodeBatchEntry(EPOCH, [quote('AAPL', 1, 1)]);
  const malformed: [string, string[], RegExp][] = [
    ['no epoch', ['t', 'b', 'o', '1', 'd', good[7]!], /without an epoch/],
    ['offset not a number', ['t', 'b', 'e', EPOCH, 'o', '1e3', 'd', good[7]!], /not an offset/],
    ['negative offset', ['t', 'h', 'e', EPOCH, 'o', '-1'], /not an offset/],
    ['batch at offset 0', ['t', 'b', 'e', EPOCH, 'o', '0', 'd', good[7]!], /first offset 0/],
    ['payload not JSON', ['t', 'b', 'e', EPOCH, 'o', '1', 'd', '[[oops'], /not valid JSON/],
    ['payload missing', ['t', 'b', 'e', EPOCH, 'o', '1'], /no payload/],
    ['empty batch', ['t', 'b', 'e', EPOCH, 'o', '1', 'd', '[]'], /non-empty array/],
    ['short row', ['t', 'b', 'e', EPOCH, 'o', '1', 'd', '[["AAPL",1,2]]'], /array of 14 values/],
    ['offsets not following o', ['t', 'b', 'e', EPOCH, 'o', '2', 'd', good[7]!], /offset 1 where 2 follows/],
    ['price not a number', ['t', 'b', 'e', EPOCH, 'o', '1', 'd', good[7]!.replace('189.23', '"189.23"')], /last is not a finite number/],
    ['NaN written as null', ['t', 'b', 'e', EPOCH, 'o', '1', 'd', good[7]!.replace('188.1', 'null')], /prevClose is not a finite number/],
    ['seq 0', ['t', 'b', 'e', EPOCH, 'o', '1', 'd', good[7]!.replace(/,1,1\]\]$/, ',0,1]]')], /seq 0/],
    ['unknown kind', ['t', 'x', 'e', EPOCH, 'o', '1'], /unknown kind t=x/],
    ['universe without infos', ['t', 'u', 'e', EPOCH, 'o', '1', 'd', '{"added":[{"symbol":"A"}],"removed":[]}'], /added is not a list/],
    ['bad status', ['t', 's', 'e', EPOCH, 'o', '1', 'd', '{"state":"sideways"}'], /state 'sideways'/],
  ];
  for (const [what, fields, message] of malformed) {
    test(`rejects an entry: ${what}`, () => {
      assert.throws(() => decodeEntry(fields), (err: unknown) => err instanceof BrokerCodecError && message.test(err.message));
    });
  }

  test('a non-finite number is encoded so that the entry is rejected, never mis-read', () => {
    const fields = encodeBatchEntry(EPOCH, [{ ...quote('AAPL', 1, 1), last: Number.NaN }]);
    assert.throws(() => decodeEntry(fields), BrokerCodecError);
  });
});

describe('broker state codec', { timeout: 10_000 }, () => {
  test('last values and the state round-trip (a full state: last complete at the offset)', () => {
    const q = quote('AAPL', 9, 17);
    assert.deepEqual(decodeLastValue('AAPL', encodeLastValue(q)), q);
    const meta = encodeMeta(EPOCH, 17, { state: 'up' }, 1_717_200_000_000);
    const hashes = {
      meta: Object.fromEntries(Array.from({ length: meta.length / 2 }, (_, i) => [meta[2 * i]!, meta[2 * i + 1]!])),
      universe: { AAPL: encodeSymbolInfo(symbolInfo('AAPL')), MSFT: encodeSymbolInfo(symbolInfo('MSFT')) },
      last: { AAPL: encodeLastValue(q) },
    };
    assert.deepEqual(decodeState(hashes), {
      epoch: EPOCH,
      offset: 17,
      lastOffset: 17,
      universe: [symbolInfo('AAPL'), symbolInfo('MSFT')],
      quotes: [q],
      status: { state: 'up' },
    });
  });

  test('no meta: nothing published yet', () => {
    assert.equal(decodeState({ meta: {}, universe: {}, last: {} }), null);
  });

  test('rejects inconsistent or foreign state', () => {
    const meta = { v: '2', epoch: EPOCH, offset: '5', lastOffset: '3', status: '{"state":"up"}', at: '0' };
    const cases: [Parameters<typeof decodeState>[0], RegExp][] = [
      [{ meta: { ...meta, v: '1' }, universe: {}, last: {} }, /format v1, this version reads v2/],
      [{ meta: { ...meta, epoch: '' }, universe: {}, last: {} }, /no epoch/],
      [{ meta: { ...meta, lastOffset: undefined as unknown as string }, universe: {}, last: {} }, /meta lastOffset is not an offset/],
      [{ meta: { ...meta, lastOffset: '6' }, universe: {}, last: {} }, /lastOffset 6 is beyond meta offset 5/],
      [{ meta, universe: {}, last: { AAPL: encodeLastValue(quote('AAPL', 1, 6)) } }, /beyond meta offset 5/],
      [{ meta, universe: {}, last: { MSFT: encodeLastValue(quote('AAPL', 1, 2)) } }, /holds a quote of AAPL/],
      [{ meta, universe: { AAPL: '{"symbol":"AAPL"}' }, last: {} }, /lacks symbol\/name/],
    ];
    for (const [hashes, message] of cases) {
      assert.throws(() => decodeState(hashes), (err: unknown) => err instanceof BrokerCodecError && message.test(err.message));
    }
  });
});

describe('quote rows as bytes (redis-rows.ts)', { timeout: 20_000 }, () => {
  /** A deterministic PRNG (mulberry32), so a failure can be replayed. */
  function random(seed: number): () => number {
    return () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  function values(n: number): number[] {
    const r = random(7);
    const out = [0, -0, 1, -1, 0.5, 0.05, 0.0001, 0.00005, 1e-7, 5e-324, 0.1 + 0.2, 189.23000000000002, 99999999999.9999, 100000000000.0001];
    out.push(1e21, 2 ** 53, 2 ** 53 - 1, -(2 ** 53 - 1), 1.7976931348623157e308, NaN, Infinity, -Infinity, 748437003685.513, 1e15 + 0.5);
    for (let i = 0; i < n; i++) {
      out.push(Math.round((r() - 0.5) * 2e7) / 100); // prices on a cent grid
      out.push(Math.round((r() - 0.5) * 2e9) / 10_000); // four decimals
      out.push(Math.round(r() * 2 ** 53) / 10 ** Math.floor(r() * 8)); // any size, up to 7 decimals
      out.push((r() - 0.5) * 10 ** Math.floor(r() * 40 - 20)); // any double
      out.push(Math.floor(r() * 2 ** 53) * (r() < 0.5 ? -1 : 1)); // any safe integer
    }
    return out;
  }

  test('numbers are written exactly as JSON.stringify writes them', async () => {
    const { encodeNumber } = await import('../../src/broker/redis-rows.js');
    const wrong = values(40_000).filter((v) => encodeNumber(v) !== JSON.stringify(v));
    assert.deepEqual(wrong, []);
  });

  test('rows are written exactly as JSON.stringify writes them, symbols of any kind included', async () => {
    const { encodeRows } = await import('../../src/broker/redis-rows.js');
    const symbols = ['AAPL', '600519.SH', '名字 "x"', 'a\\b', 'tab\t', 'nul\u0000', '\ud800', 'ü', 'x\u007f', 'x'.repeat(3000) + 'é', ''];
    const batch = symbols.map((s, i) => quote(s, i + 1, i + 1, i + 0.25));
    const rows = batch.map((q) => [q.symbol, q.last, q.bid, q.ask, q.open, q.high, q.low, q.prevClose, q.change, q.changePct, q.volume, q.ts, q.seq, q.offset]);
    assert.equal(encodeRows(batch, 0, batch.length).toString(), JSON.stringify(rows));
    assert.equal(encodeRows(batch, 2, 4).toString(), JSON.stringify(rows.slice(2, 4)));
  });

  test('the fast reader gives what JSON.parse gives, or leaves the text to it', async () => {
    const { readRows } = await import('../../src/broker/redis-rows.js');
    const r = random(11);
    const pool = values(2000);
    const pick = (): number => pool[Math.floor(r() * pool.length)]!;
    const reference = (text: string): StreamQuote[] | 'error' => {
      try {
        const decoded = decodeEntry(['t', 'b', 'e', EPOCH, 'o', '5', 'd', text]);
        return decoded.kind === 'batch' ? decoded.quotes : 'error';
      } catch {
        return 'error';
      }
    };
    let fast = 0;
    for (let i = 0; i < 3000; i++) {
      const batch = Array.from({ length: 1 + Math.floor(r() * 4) }, (_, j) => ({
        ...quote(r() < 0.9 ? 'AAPL' : '名字 "x"', 1 + Math.floor(r() * 1000), 5 + j),
        last: r() < 0.7 ? Math.round(r() * 1e6) / 100 : pick(),
        bid: Math.round(r() * 1e6) / 100,
        ask: -Math.round(r() * 1e6) / 100,
        change: r() < 0.1 ? -0 : Math.round((r() - 0.5) * 1e4) / 100,
        changePct: r() < 0.5 ? Math.round((r() - 0.5) * 1e6) / 10_000 : pick(),
        volume: r() < 0.9 ? Math.floor(r() * 1e9) : pick(),
      }));
      let text = JSON.stringify(batch.map((q) => [q.symbol, q.last, q.bid, q.ask, q.open, q.high, q.low, q.prevClose, q.change, q.changePct, q.volume, q.ts, q.seq, q.offset]));
      // Sometimes damage it: a space, a character changed, one dropped, an exponent.
      const at = Math.floor(r() * text.length);
      const damage = Math.floor(r() * 10);
      if (damage === 1) text = `${text.slice(0, at)} ${text.slice(at)}`;
      if (damage === 2) text = `${text.slice(0, at)}${'0-.e,]["x\\'[Math.floor(r() * 10)]}${text.slice(at + 1)}`;
      if (damage === 3) text = text.slice(0, at) + text.slice(at + 1);
      if (damage === 4) text = text.replace(/(\d)\.(\d)/, '$1e-1$2');
      const read = readRows(text, 5);
      if (read === null) continue;
      fast++;
      assert.deepEqual(read, reference(text), text);
      // Same values and the same signs of zero.
      const ref = reference(text) as StreamQuote[];
      read.forEach((q, k) => assert.ok(Object.is(q.change, ref[k]!.change) && Object.is(q.changePct, ref[k]!.changePct), text));
    }
    assert.ok(fast > 500, `the fast reader took ${fast} of 3000 texts`);
  });

  test('a batch the publisher wrote decodes to the same quotes through either reader', () => {
    const batch = Array.from({ length: 300 }, (_, i) => quote(`S${i % 17}`, i + 1, 1000 + i, Math.round(i * 37.3) / 100));
    const fields = encodeBatchEntry(EPOCH, batch);
    assert.deepEqual(decodeEntry(fields), { kind: 'batch', epoch: EPOCH, offset: 1000, quotes: batch });
    // With a space after each comma the fast reader declines: JSON.parse reads it, to the same quotes.
    const spaced = [...fields.slice(0, 7), fields[7]!.replaceAll(',', ', ')];
    assert.deepEqual(decodeEntry(spaced), { kind: 'batch', epoch: EPOCH, offset: 1000, quotes: batch });
  });
});
