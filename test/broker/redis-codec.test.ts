import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BrokerCodecError,
  decodeEntry,
  decodeLastValue,
  decodeSnapshot,
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

  test('a big batch becomes several consecutive entries, and last holds each symbol once', async () => {
    const { encodeBatch } = await import('../../src/broker/redis-codec.js');
    const batch = Array.from({ length: 7 }, (_, i) => quote(i % 2 === 0 ? 'AAPL' : 'MSFT', i + 1, 100 + i));
    const { entries, last } = encodeBatch(EPOCH, batch, 3);
    const decoded = entries.map((e) => decodeEntry(e));
    assert.deepEqual(decoded.map((d) => d.offset), [100, 103, 106]);
    assert.deepEqual(decoded.flatMap((d) => (d.kind === 'batch' ? d.quotes : [])), batch);
    assert.deepEqual(last.filter((_, i) => i % 2 === 0).sort(), ['AAPL', 'MSFT']);
    assert.deepEqual(decodeLastValue('AAPL', last[last.indexOf('AAPL') + 1]!), batch[6]);
    assert.deepEqual(decodeLastValue('MSFT', last[last.indexOf('MSFT') + 1]!), batch[5]);
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
  test('last values and the snapshot round-trip', () => {
    const q = quote('AAPL', 9, 17);
    assert.deepEqual(decodeLastValue('AAPL', encodeLastValue(q)), q);
    const meta = encodeMeta(EPOCH, 17, { state: 'up' }, 1_717_200_000_000);
    const hashes = {
      meta: Object.fromEntries(Array.from({ length: meta.length / 2 }, (_, i) => [meta[2 * i]!, meta[2 * i + 1]!])),
      universe: { AAPL: encodeSymbolInfo(symbolInfo('AAPL')), MSFT: encodeSymbolInfo(symbolInfo('MSFT')) },
      last: { AAPL: encodeLastValue(q) },
    };
    assert.deepEqual(decodeSnapshot(hashes), {
      epoch: EPOCH,
      offset: 17,
      universe: [symbolInfo('AAPL'), symbolInfo('MSFT')],
      quotes: [q],
      status: { state: 'up' },
    });
  });

  test('no meta: nothing published yet', () => {
    assert.equal(decodeSnapshot({ meta: {}, universe: {}, last: {} }), null);
  });

  test('rejects inconsistent or foreign state', () => {
    const meta = { v: '1', epoch: EPOCH, offset: '5', status: '{"state":"up"}', at: '0' };
    const cases: [Parameters<typeof decodeSnapshot>[0], RegExp][] = [
      [{ meta: { ...meta, v: '2' }, universe: {}, last: {} }, /format v2/],
      [{ meta: { ...meta, epoch: '' }, universe: {}, last: {} }, /no epoch/],
      [{ meta, universe: {}, last: { AAPL: encodeLastValue(quote('AAPL', 1, 6)) } }, /beyond meta offset 5/],
      [{ meta, universe: {}, last: { MSFT: encodeLastValue(quote('AAPL', 1, 2)) } }, /holds a quote of AAPL/],
      [{ meta, universe: { AAPL: '{"symbol":"AAPL"}' }, last: {} }, /lacks symbol\/name/],
    ];
    for (const [hashes, message] of cases) {
      assert.throws(() => decodeSnapshot(hashes), (err: unknown) => err instanceof BrokerCodecError && message.test(err.message));
    }
  });
});
