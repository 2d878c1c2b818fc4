import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReplayFeed, createFeed, type Quote } from '../../src/market/index.js';

let dir = '';
const T0 = Date.UTC(2024, 0, 2, 1, 30); // 09:30 Beijing time

/** 7 records over 2 s of recorded time, mixing complete and minimal lines. */
const RECORDING = [
  { symbol: '600519.SH', last: 1530.5, ts: T0, prevClose: 1520, volume: 1000, bid: 1530.4, ask: 1530.5, open: 1530.5, high: 1530.5, low: 1530.5 },
  { symbol: 'AAPL', last: 190.1, ts: T0 + 100 },
  { symbol: 'AAPL', last: 190.35, ts: T0 + 400 },
  { symbol: '600519.SH', last: 1529.02, ts: T0 + 700, volume: 1300 },
  { symbol: 'AAPL', last: 189.9, ts: T0 + 1000, volume: 500 },
  { symbol: 'ZZTEST', last: 12.5, ts: new Date(T0 + 1500).toISOString() },
  { symbol: 'AAPL', last: 190.0, ts: T0 + 2000 },
];
const OFFSETS = [0, 100, 400, 700, 1000, 1500, 2000];

async function writeRecording(name: string, lines: readonly unknown[] | string): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, typeof lines === 'string' ? lines : lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  return file;
}

/** Starts a feed and resolves with every quote once `count` have arrived, plus their arrival times. */
function collect(feed: ReplayFeed, count: number): Promise<{ quotes: Quote[]; arrivals: number[] }> {
  return new Promise((resolve) => {
    const quotes: Quote[] = [];
    const arrivals: number[] = [];
    feed.start((batch) => {
      const at = performance.now();
      for (const q of batch) {
        if (quotes.length === count) break;
        quotes.push(q);
        arrivals.push(at);
      }
      if (quotes.length === count) void feed.stop().then(() => resolve({ quotes, arrivals }));
    });
  });
}

describe('ReplayFeed', () => {
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tickstream-replay-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('derives its universe from the file', async () => {
    const feed = new ReplayFeed({ file: await writeRecording('universe.ndjson', RECORDING) });
    const universe = feed.universe();
    assert.deepEqual(
      universe.map((s) => s.symbol),
      ['600519.SH', 'AAPL', 'ZZTEST'],
    );
    assert.equal(universe[0]!.name, '贵州茅台');
    assert.equal(universe[0]!.exchange, 'SSE');
    assert.equal(universe[0]!.limitPct, 0.1);
    assert.equal(universe[0]!.prevClose, 1520); // given in the file
    assert.equal(universe[1]!.prevClose, 190.1); // the first last, for lack of a prevClose
    assert.equal(universe[2]!.currency, 'USD');
    // Before start(), the snapshot previews each symbol's first record, with seq 0: not a tick yet.
    const snapshot = feed.snapshot();
    assert.deepEqual(
      snapshot.map((q) => [q.symbol, q.last, q.seq]),
      [
        ['600519.SH', 1530.5, 0],
        ['AAPL', 190.1, 0],
        ['ZZTEST', 12.5, 0],
      ],
    );
  });

  test('replays every record in order with the recorded spacing divided by speed', { timeout: 10_000 }, async () => {
    const speed = 20; // 2 s of recording in 100 ms
    const feed = new ReplayFeed({ file: await writeRecording('spacing.ndjson', RECORDING), speed });
    const startedAt = performance.now();
    const { quotes, arrivals } = await collect(feed, RECORDING.length);
    assert.deepEqual(
      quotes.map((q) => [q.symbol, q.last]),
      RECORDING.map((r) => [r.symbol, r.last]),
    );
    // Emitted timestamps keep the recorded spacing / speed (to the rounding millisecond)...
    for (let k = 1; k < quotes.length; k++) {
      const expected = (OFFSETS[k]! - OFFSETS[0]!) / speed;
      assert.ok(Math.abs(quotes[k]!.ts - quotes[0]!.ts - expected) <= 1, `record ${k}: ts offset ${quotes[k]!.ts - quotes[0]!.ts}, expected ${expected}`);
    }
    // ...and the records really arrive that late on the clock: the first at once, the last after
    // 2000 / speed ms (the feed never emits a record before it is due).
    assert.ok(arrivals[0]! - startedAt < 1000, `first record after ${arrivals[0]! - startedAt} ms`);
    const realSpan = arrivals[arrivals.length - 1]! - startedAt;
    assert.ok(realSpan >= 2000 / speed, `real span ${realSpan} ms`);
    assert.ok(realSpan < 2000, `real span ${realSpan} ms: speed was not applied`);
    assert.ok(Math.abs(quotes[0]!.ts - Date.now()) < 5000, 'ts is rebased onto the wall clock');
  });

  test('derives the missing fields of minimal records', { timeout: 10_000 }, async () => {
    const feed = new ReplayFeed({ file: await writeRecording('derive.ndjson', RECORDING), speed: 1000 });
    const { quotes } = await collect(feed, RECORDING.length);
    const aapl = quotes.filter((q) => q.symbol === 'AAPL');
    assert.deepEqual(
      aapl.map((q) => [q.seq, q.open, q.high, q.low, q.prevClose, q.change, q.changePct, q.volume]),
      [
        [1, 190.1, 190.1, 190.1, 190.1, 0, 0, 0],
        [2, 190.1, 190.35, 190.1, 190.1, 0.25, 0.13, 0],
        [3, 190.1, 190.35, 189.9, 190.1, -0.2, -0.11, 500],
        [4, 190.1, 190.35, 189.9, 190.1, -0.1, -0.05, 500],
      ],
    );
    for (const q of quotes) {
      assert.ok(q.bid < q.ask && q.bid <= q.last && q.last <= q.ask, `${q.symbol} ${q.bid}/${q.last}/${q.ask}`);
    }
    const moutai = quotes.filter((q) => q.symbol === '600519.SH');
    assert.deepEqual(
      moutai.map((q) => [q.bid, q.ask, q.prevClose, q.change, q.changePct, q.volume, q.low]),
      [
        [1530.4, 1530.5, 1520, 10.5, 0.69, 1000, 1530.5],
        [1529.02, 1529.17, 1520, 9.02, 0.59, 1300, 1529.02],
      ],
    );
    // After the run the snapshot holds the last replayed quote of every symbol.
    assert.deepEqual(
      feed.snapshot().map((q) => [q.symbol, q.last, q.seq]),
      [
        ['600519.SH', 1529.02, 2],
        ['AAPL', 190, 4],
        ['ZZTEST', 12.5, 1],
      ],
    );
  });

  test('loop starts over with increasing seq and non-decreasing volume', { timeout: 10_000 }, async () => {
    const feed = createFeed({ kind: 'replay', file: await writeRecording('loop.ndjson', RECORDING), speed: 1000, loop: true });
    assert.equal(feed.name, 'replay');
    const { quotes } = await collect(feed as ReplayFeed, RECORDING.length * 3 + 2);
    assert.deepEqual(
      quotes.map((q) => q.symbol),
      [...RECORDING, ...RECORDING, ...RECORDING, ...RECORDING].slice(0, quotes.length).map((r) => r.symbol),
    );
    const seen = new Map<string, Quote>();
    for (const q of quotes) {
      const previous = seen.get(q.symbol);
      assert.equal(q.seq, (previous?.seq ?? 0) + 1, `${q.symbol} seq`);
      if (previous) {
        assert.ok(q.volume >= previous.volume, `${q.symbol} volume went down`);
        assert.ok(q.ts >= previous.ts, `${q.symbol} ts went back`);
      }
      seen.set(q.symbol, q);
    }
    // Three passes and two records of a fourth: AAPL has 4 records a pass.
    assert.equal(seen.get('AAPL')!.seq, 4 * 3 + 1);
    // Each pass adds the previous passes' final volume (1300) to the recorded cumulative volume.
    assert.equal(seen.get('600519.SH')!.volume, 1000 + 3 * 1300);
  });

  test('a non-looping replay ends and calls onEnd once', { timeout: 10_000 }, async () => {
    const file = await writeRecording('end.ndjson', RECORDING);
    let batches = 0;
    let delivered = 0;
    await new Promise<void>((resolve) => {
      const feed = new ReplayFeed({ file, speed: 1000, onEnd: resolve });
      feed.start((batch) => {
        batches++;
        delivered += batch.length;
      });
    });
    assert.equal(delivered, RECORDING.length);
    assert.ok(batches >= 1, `batches ${batches}`);
  });

  test('rejects malformed recordings with the line number', async () => {
    const bad = await writeRecording('bad.ndjson', '{"symbol":"A","last":1,"ts":1}\n\n{"symbol":"A","last":1,\n');
    assert.throws(() => new ReplayFeed({ file: bad }), /bad\.ndjson:3: not valid JSON/);
    const noLast = await writeRecording('nolast.ndjson', [{ symbol: 'A', ts: 1 }]);
    assert.throws(() => new ReplayFeed({ file: noLast }), /nolast\.ndjson:1: "last" is required/);
    const badTs = await writeRecording('badts.ndjson', [{ symbol: 'A', last: 1, ts: 'yesterday' }]);
    assert.throws(() => new ReplayFeed({ file: badTs }), /"ts" must be/);
    const negative = await writeRecording('neg.ndjson', [{ symbol: 'A', last: -1, ts: 1 }]);
    assert.throws(() => new ReplayFeed({ file: negative }), /positive price/);
    const empty = await writeRecording('empty.ndjson', '\n');
    assert.throws(() => new ReplayFeed({ file: empty }), /no quotes/);
    assert.throws(() => new ReplayFeed({ file: empty, speed: 0 }), RangeError);
    const big = await writeRecording('big.ndjson', RECORDING);
    assert.throws(() => new ReplayFeed({ file: big, maxFileBytes: 10 }), /limit/);
  });
});
