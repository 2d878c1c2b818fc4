import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReplayFeed, createFeed, type Quote } from '../../src/market/index.js';
import { RecordingSink } from './recording-sink.js';

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

/** Starts a feed and resolves with the first `count` quotes once they have arrived, plus their arrival times. */
async function collect(feed: ReplayFeed, count: number): Promise<{ quotes: Quote[]; arrivals: number[]; sink: RecordingSink }> {
  const arrivals: number[] = [];
  const sink = new (class extends RecordingSink {
    override quotes(batch: readonly Quote[]): void {
      for (let k = 0; k < batch.length; k++) arrivals.push(performance.now());
      super.quotes(batch);
    }
  })();
  feed.start(sink);
  await sink.until((s) => s.received.length >= count, `${count} quotes`);
  await feed.stop();
  return { quotes: sink.received.slice(0, count), arrivals: arrivals.slice(0, count), sink };
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
    // Feed-neutral descriptions: names and exchanges of known symbols, prevClose from the file.
    assert.deepEqual(universe[0], { symbol: '600519.SH', name: '贵州茅台', exchange: 'SSE', currency: 'CNY', prevClose: 1520 });
    assert.equal(universe[1]!.prevClose, 190.1); // the first last, for lack of a prevClose
    assert.equal(universe[2]!.currency, 'USD');
    assert.deepEqual(feed.snapshot(), [], 'nothing replayed yet');
  });

  test('start() reports the universe, the records due at once and up, synchronously', { timeout: 10_000 }, async () => {
    // At speed 1 the second record is 100 ms away: only the first is due when start() runs.
    const feed = new ReplayFeed({ file: await writeRecording('start.ndjson', RECORDING) });
    const sink = new RecordingSink();
    feed.start(sink);
    assert.deepEqual(sink.sequence, ['universe', 'quotes', 'status:up']);
    assert.deepEqual(sink.symbols, feed.universe());
    // The first record (offset 0) is 600519.SH's opening quote.
    assert.deepEqual(
      sink.received.map((q) => [q.symbol, q.seq, q.open, q.last]),
      [['600519.SH', 1, 1530.5, 1530.5]],
    );
    assert.throws(() => feed.start(new RecordingSink()), /already started/);
    await feed.stop();
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
    // No book in the file: bid = ask = last (the normaliser invents no spread).
    for (const q of aapl) assert.deepEqual([q.bid, q.ask], [q.last, q.last]);
    for (const q of quotes) {
      assert.ok(q.bid <= q.ask && q.bid <= q.last && q.last <= q.ask, `${q.symbol} ${q.bid}/${q.last}/${q.ask}`);
    }
    const moutai = quotes.filter((q) => q.symbol === '600519.SH');
    assert.deepEqual(
      moutai.map((q) => [q.bid, q.ask, q.prevClose, q.change, q.changePct, q.volume, q.low]),
      [
        [1530.4, 1530.5, 1520, 10.5, 0.69, 1000, 1530.5],
        // The recorded book no longer brackets the new trade: it collapses onto it.
        [1529.02, 1529.02, 1520, 9.02, 0.59, 1300, 1529.02],
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
    const feed = await createFeed({ kind: 'replay', file: await writeRecording('loop.ndjson', RECORDING), speed: 1000, loop: true });
    assert.ok(feed instanceof ReplayFeed);
    assert.equal(feed.name, 'replay');
    const { quotes, sink } = await collect(feed, RECORDING.length * 3 + 2);
    assert.deepEqual(sink.statuses, [{ state: 'up' }], 'a looping replay never ends');
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

  test('a non-looping replay ends: status down, then onEnd once', { timeout: 10_000 }, async () => {
    const file = await writeRecording('end.ndjson', RECORDING);
    const sink = new RecordingSink();
    let ends = 0;
    const feed = new ReplayFeed({
      file,
      speed: 1000,
      onEnd: () => {
        ends++;
        assert.equal(sink.statuses.at(-1)?.state, 'down', 'down is reported before onEnd');
      },
    });
    feed.start(sink);
    await sink.until((s) => s.statuses.some((st) => st.state === 'down'), 'status down');
    assert.equal(sink.received.length, RECORDING.length);
    assert.deepEqual(sink.statuses, [{ state: 'up' }, { state: 'down', reason: 'replay finished' }]);
    assert.equal(sink.sequence.at(-1), 'status:down');
    assert.equal(ends, 1);
    await feed.stop();
  });

  test('a recording whose records are all due at once ends inside start()', async () => {
    const file = await writeRecording('instant.ndjson', [{ symbol: 'A', last: 1, ts: 5 }, { symbol: 'B', bid: 2, ask: 2.02, ts: 5 }]);
    const sink = new RecordingSink();
    let ended = false;
    new ReplayFeed({ file, onEnd: () => (ended = true) }).start(sink);
    assert.deepEqual(sink.sequence, ['universe', 'quotes', 'status:up', 'status:down']);
    assert.ok(ended);
    // A line may carry a book without a trade: last is its mid.
    assert.deepEqual(sink.received.map((q) => [q.symbol, q.bid, q.last, q.ask]), [['A', 1, 1, 1], ['B', 2, 2.01, 2.02]]);
  });

  test('keeps the decimals of recorded prices', { timeout: 10_000 }, async () => {
    const file = await writeRecording('crypto.ndjson', [
      { symbol: 'BTC-USD', last: 64000.12345, ts: 0, prevClose: 63000.5 },
      { symbol: 'BTC-USD', last: 64001.5, ts: 1 },
    ]);
    const { quotes } = await collect(new ReplayFeed({ file, speed: 1000 }), 2);
    assert.deepEqual(quotes.map((q) => [q.last, q.change, q.changePct]), [
      [64000.12345, 999.62345, 1.59],
      [64001.5, 1001, 1.59],
    ]);
  });

  test('skips malformed lines with their line numbers; refuses a file with no valid line', async () => {
    const mixed = await writeRecording('mixed.ndjson', '{"symbol":"A","last":1,"ts":1}\n\n{"symbol":"A","last":1,\n{"symbol":"A","last":2,"ts":2}\n');
    const feed = new ReplayFeed({ file: mixed });
    assert.equal(feed.skipped, 1);
    assert.deepEqual(feed.skippedRows.map((r) => r.line), [3]);
    assert.match(feed.skippedRows[0]!.reason, /^not valid JSON/);
    // Each kind of bad line, alone in its file: nothing to replay, and the message names the line.
    const refused = async (name: string, lines: readonly unknown[] | string, message: RegExp): Promise<void> => {
      const file = await writeRecording(name, lines);
      assert.throws(() => new ReplayFeed({ file }), (error: Error) => message.test(error.message) && !error.message.includes('\n'));
    };
    await refused('bad.ndjson', '{"symbol":"A","last":1,\n', /bad\.ndjson: no valid quotes, 1 malformed row; the first: bad\.ndjson:1: not valid JSON/);
    await refused('nolast.ndjson', [{ symbol: 'A', ts: 1, volume: 5 }], /nolast\.ndjson:1: A: "last" \(or "bid"\/"ask"\) is required/);
    await refused('nosymbol.ndjson', [{ last: 1, ts: 1 }], /nosymbol\.ndjson:1: "symbol" must be a non-empty string/);
    await refused('crossed.ndjson', [{ symbol: 'A', bid: 2, ask: 1, ts: 1 }], /crossed\.ndjson:1: A: crossed book/);
    await refused('badts.ndjson', [{ symbol: 'A', last: 1, ts: 'yesterday' }], /badts\.ndjson:1: "ts" must be/);
    await refused('neg.ndjson', [{ symbol: 'A', last: -1, ts: 1 }, { symbol: 'A', last: 0, ts: 2 }], /2 malformed rows; the first: neg\.ndjson:1: .*positive price/);
    await refused('array.ndjson', '[1,2]\n', /array\.ndjson:1: expected a JSON object/);
    await refused('empty.ndjson', '\n', /no quotes in the file/);
    const big = await writeRecording('big.ndjson', RECORDING);
    assert.throws(() => new ReplayFeed({ file: big, speed: 0 }), RangeError);
    assert.throws(() => new ReplayFeed({ file: big, maxFileBytes: 10 }), /limit/);
  });
});
