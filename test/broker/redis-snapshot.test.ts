import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BrokerCodecError, encodeBatchEntry, encodeHeartbeatEntry, encodeResetEntry, encodeUniverseEntry, type StoredState } from '../../src/broker/redis-codec.js';
import { SnapshotReplay, type StreamItems } from '../../src/broker/redis-snapshot.js';
import type { StreamQuote } from '../../src/broker/stream.js';
import { sortedQuotes, symbolInfo } from './harness.js';

const EPOCH = 'e1';

function quote(symbol: string, seq: number, offset: number): StreamQuote {
  return { symbol, last: 100 + seq / 100, bid: 99, ask: 101, open: 100, high: 110, low: 90, prevClose: 100, change: 0, changePct: 0, volume: seq, ts: 1_700_000_000_000 + seq, seq, offset };
}

/**
 * A stream told as a list of entries (oldest first), with the state keys at any point: the quotes up
 * to `lastOffset` in `last`, the universe and offset as of the end.
 */
class Stream {
  readonly entries: [id: string, fields: string[]][] = [];
  readonly quotes: StreamQuote[] = [];
  private readonly seqs = new Map<string, number>();
  private id = 0;

  add(fields: string[]): void {
    this.entries.push([`1000-${this.id++}`, fields]);
  }

  batch(...symbols: string[]): StreamQuote[] {
    const first = this.quotes.length + 1;
    const batch = symbols.map((s, i) => {
      const seq = (this.seqs.get(s) ?? 0) + 1;
      this.seqs.set(s, seq);
      return quote(s, seq, first + i);
    });
    this.quotes.push(...batch);
    this.add(encodeBatchEntry(EPOCH, batch));
    return batch;
  }

  /** The latest quote per symbol up to `offset`, minus `removed`. */
  latest(offset: number, removed: readonly string[] = []): StreamQuote[] {
    const m = new Map<string, StreamQuote>();
    for (const q of this.quotes.slice(0, offset)) m.set(q.symbol, q);
    for (const s of removed) m.delete(s);
    return sortedQuotes([...m.values()]);
  }

  state(lastOffset: number, last = this.latest(lastOffset)): StoredState {
    return { epoch: EPOCH, offset: this.quotes.length, lastOffset, universe: [], quotes: last, status: { state: 'up' } };
  }

  /** Newest first, in pages of `size`, as XREVRANGE pages them. */
  pages(size: number): StreamItems[] {
    const reversed = [...this.entries].reverse();
    const out: StreamItems[] = [];
    for (let i = 0; i < reversed.length; i += size) out.push(reversed.slice(i, i + size));
    return out;
  }
}

/** Feeds pages until the replay has what it needs; returns how many pages it took. */
function feed(replay: SnapshotReplay, pages: StreamItems[]): number {
  let n = 0;
  for (const page of pages) {
    n++;
    if (replay.add(page)) break;
  }
  return n;
}

describe('snapshot replay: last + the stream after lastOffset', { timeout: 10_000 }, () => {
  test('replays (lastOffset, offset] on top of last: the state at offset, whatever the page size', () => {
    const s = new Stream();
    s.add(encodeResetEntry(EPOCH, 0));
    for (let i = 0; i < 30; i++) s.batch('AAPL', i % 3 === 0 ? 'MSFT' : 'TSLA', `S${i % 7}`);
    s.add(encodeHeartbeatEntry(EPOCH, s.quotes.length));
    for (const lastOffset of [0, 1, 2, 3, 45, 88, 89, 90]) {
      for (const size of [1, 2, 7, 100]) {
        const replay = new SnapshotReplay(s.state(lastOffset));
        feed(replay, s.pages(size));
        const snapshot = replay.snapshot();
        assert.equal(snapshot.offset, 90);
        assert.deepEqual(sortedQuotes(snapshot.quotes), s.latest(90), `lastOffset ${lastOffset}, pages of ${size}`);
      }
    }
  });

  test('reads back only as far as lastOffset', () => {
    const s = new Stream();
    s.add(encodeResetEntry(EPOCH, 0));
    for (let i = 0; i < 50; i++) s.batch('AAPL', 'MSFT');
    const replay = new SnapshotReplay(s.state(90)); // batches at 91 and 93, 95, 97, 99
    assert.equal(feed(replay, s.pages(2)), 3, 'the batch starting at 91 is the last one needed');
    assert.equal(replay.entriesRead, 6);
    assert.equal(new SnapshotReplay(s.state(100)).complete, true, 'nothing to replay');
  });

  test('last may hold quotes newer than lastOffset: the newer seq wins', () => {
    const s = new Stream();
    s.add(encodeResetEntry(EPOCH, 0));
    for (let i = 0; i < 10; i++) s.batch('AAPL', 'MSFT');
    // `last` as after an older write of it was applied again (a resend): AAPL as of 20, MSFT as of 10.
    const last = sortedQuotes([s.latest(20).find((q) => q.symbol === 'AAPL')!, s.latest(10).find((q) => q.symbol === 'MSFT')!]);
    const replay = new SnapshotReplay(s.state(10, last));
    feed(replay, s.pages(3));
    assert.deepEqual(sortedQuotes(replay.snapshot().quotes), s.latest(20));
  });

  test('a symbol removed within the window loses its quote; one removed before lastOffset and re-added keeps its later one', () => {
    const s = new Stream();
    s.add(encodeResetEntry(EPOCH, 0));
    s.batch('AAPL', 'MSFT', 'IBM');
    s.add(encodeUniverseEntry(EPOCH, 3, [], ['IBM'])); // at 3: before lastOffset 4
    s.add(encodeUniverseEntry(EPOCH, 3, [symbolInfo('IBM')], []));
    s.batch('IBM'); // 4
    s.batch('AAPL', 'MSFT'); // 5, 6
    s.add(encodeUniverseEntry(EPOCH, 6, [], ['MSFT'])); // within the window
    s.batch('AAPL'); // 7
    const last = s.latest(4, ['IBM']).concat([s.quotes[3]!]); // IBM's quote at 4 was written after its re-addition
    const replay = new SnapshotReplay(s.state(4, sortedQuotes(last)));
    feed(replay, s.pages(1));
    const got = sortedQuotes(replay.snapshot().quotes);
    assert.deepEqual(got.map((q) => `${q.symbol}@${q.offset}`), ['AAPL@7', 'IBM@4']);
  });

  test('entries of another epoch, or beyond meta, are not part of the state', () => {
    const s = new Stream();
    s.add(encodeResetEntry(EPOCH, 0));
    s.batch('AAPL');
    s.add(encodeBatchEntry('other', [quote('AAPL', 99, 2)]));
    s.batch('AAPL');
    const state = s.state(0);
    s.add(encodeBatchEntry(EPOCH, [quote('AAPL', 50, 3)])); // written after the MULTI's meta, or by a stranger
    const replay = new SnapshotReplay(state);
    feed(replay, s.pages(2));
    assert.deepEqual(replay.snapshot().quotes.map((q) => q.seq), [2]);
  });

  test('a stream that does not reach back to lastOffset (trimmed), or has a hole, gives no snapshot', () => {
    const s = new Stream();
    s.add(encodeResetEntry(EPOCH, 0));
    for (let i = 0; i < 10; i++) s.batch('AAPL', 'MSFT');
    const trimmed = new SnapshotReplay(s.state(4));
    assert.equal(trimmed.add(s.pages(100)[0]!.slice(0, 5)), false, 'the oldest entries are gone');
    assert.throws(() => trimmed.snapshot(), (err: unknown) => err instanceof BrokerCodecError && /does not reach back to offset 5/.test(err.message));

    const holed = new SnapshotReplay(s.state(4));
    const page = s.pages(100)[0]!;
    page.splice(3, 1, [page[3]![0], ['t', 'b', 'e', EPOCH, 'o', 'x']]); // a malformed entry in the window
    assert.equal(holed.add(page), true);
    assert.equal(holed.malformed, 1);
    assert.throws(() => holed.snapshot(), (err: unknown) => err instanceof BrokerCodecError && /lacks offsets 13\.\.14/.test(err.message));
  });
});
