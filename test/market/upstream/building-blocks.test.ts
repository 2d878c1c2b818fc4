import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Backoff } from '../../../src/market/upstream/backoff.js';
import { InterestTracker } from '../../../src/market/upstream/interest.js';
import { addQuantity, decimalField, rfc3339Field } from '../../../src/market/upstream/parse.js';
import { hasSecrets, redactSecrets } from '../../../src/market/upstream/redact.js';
import { SendLimiter } from '../../../src/market/upstream/send-limiter.js';
import { UpstreamQuotes } from '../../../src/market/upstream/upstream-quotes.js';
import { RecordingSink } from '../recording-sink.js';

/** Resolves once `predicate` holds, polling every few ms; bounded. */
async function until(predicate: () => boolean, what: string, timeoutMs = 3_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!predicate()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Most timestamps within any window of `windowMs`. */
function peak(times: readonly number[], windowMs: number): number {
  let best = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while (times[i]! - times[j]! >= windowMs) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}

describe('SendLimiter', () => {
  test('never lets more than N messages through in any window, and runs every task in order', async () => {
    const limiter = new SendLimiter(4, 200);
    const ran: { n: number; at: number }[] = [];
    for (let n = 0; n < 14; n++) limiter.schedule(() => (ran.push({ n, at: performance.now() }), true));
    assert.equal(ran.length, 4, 'the first window goes at once');
    await until(() => ran.length === 14, 'all 14 tasks');
    assert.deepEqual(ran.map((r) => r.n), [...Array(14).keys()]);
    assert.ok(peak(ran.map((r) => r.at), 200) <= 4, `peak ${peak(ran.map((r) => r.at), 200)} per 200 ms`);
    const elapsed = ran.at(-1)!.at - ran[0]!.at;
    assert.ok(elapsed >= 3 * 200 - 5, `14 messages at 4 per 200 ms take 3 windows, took ${elapsed.toFixed(0)} ms`);
  });

  test('a task with nothing to send does not use a turn; clear() drops what waits', async () => {
    const limiter = new SendLimiter(2, 10_000);
    const sent: string[] = [];
    limiter.schedule(() => false);
    limiter.schedule(() => (sent.push('a'), true));
    limiter.schedule(() => (sent.push('b'), true));
    limiter.schedule(() => (sent.push('c'), true));
    assert.deepEqual(sent, ['a', 'b']);
    assert.equal(limiter.pending, 1);
    limiter.clear();
    assert.equal(limiter.pending, 0);
  });
});

describe('Backoff', () => {
  test('grows exponentially to the ceiling, with jitter below it, and starts over after reset()', () => {
    const fixed = new Backoff({ initialDelayMs: 100, maxDelayMs: 1_000, factor: 2, jitter: 0.5 }, () => 0);
    assert.deepEqual([fixed.next(), fixed.next(), fixed.next(), fixed.next(), fixed.next(), fixed.next()], [100, 200, 400, 800, 1000, 1000]);
    fixed.reset();
    assert.equal(fixed.next(), 100);
    const jittered = new Backoff({ initialDelayMs: 100, maxDelayMs: 1_000, jitter: 0.5 }, () => 0.999);
    const first = jittered.next();
    assert.ok(first >= 50 && first <= 51, `jitter takes up to half of the ceiling: ${first}`);
    assert.throws(() => new Backoff({ factor: 0.5 }), RangeError);
  });
});

describe('InterestTracker', () => {
  test('adds wanted symbols at once and releases unwanted ones only after the hold', async () => {
    const changes: { added: readonly string[]; removed: readonly string[]; at: number }[] = [];
    const tracker = new InterestTracker({ holdMs: 150, alwaysOn: ['BTCUSDT'], onChange: (added, removed) => changes.push({ added, removed, at: performance.now() }) });
    assert.deepEqual([...tracker.symbols], ['BTCUSDT']);
    const start = performance.now();
    tracker.want(new Set(['ETHUSDT', 'BNBUSDT']));
    assert.deepEqual(changes, [{ added: ['ETHUSDT', 'BNBUSDT'], removed: [], at: changes[0]!.at }]);
    tracker.want(new Set(['ETHUSDT']));
    assert.deepEqual([...tracker.held.keys()], ['BNBUSDT'], 'BNBUSDT is held, not released');
    await until(() => changes.length === 2, 'the release');
    assert.deepEqual(changes[1]!.removed, ['BNBUSDT']);
    assert.ok(changes[1]!.at - start >= 145, 'released after the hold');
    assert.deepEqual([...tracker.symbols].sort(), ['BTCUSDT', 'ETHUSDT']);
    tracker.stop();
  });

  test('a symbol wanted again within the hold just stays: a flapping client causes no churn', async () => {
    const changes: string[] = [];
    const tracker = new InterestTracker({ holdMs: 100, onChange: (added, removed) => changes.push(`+${added.join()} -${removed.join()}`) });
    tracker.want(['AAA']);
    for (let i = 0; i < 20; i++) tracker.want(i % 2 === 0 ? [] : ['AAA']);
    tracker.want(['AAA']);
    assert.deepEqual(changes, ['+AAA -']);
    tracker.want([]);
    await until(() => changes.length === 2, 'the release');
    assert.deepEqual(changes, ['+AAA -', '+ -AAA']);
    tracker.stop();
  });

  test('always-on symbols are never released, and maxSymbols caps what clients can pull upstream', () => {
    let leftOut = 0;
    const tracker = new InterestTracker({ holdMs: 0, alwaysOn: ['A'], maxSymbols: 3, onChange: () => {}, onOverflow: (n) => (leftOut += n) });
    tracker.want(['B', 'C', 'D', 'E']);
    assert.equal(tracker.symbols.size, 3);
    assert.equal(leftOut, 2);
    tracker.want([]);
    assert.ok(!tracker.held.has('A'));
    tracker.stop();
  });
});

describe('parsing and redaction helpers', () => {
  test('decimals as strings, RFC 3339 with nanoseconds, quantities without float noise', () => {
    assert.equal(decimalField({ p: '25.35190000' }, 'p'), 25.3519);
    assert.equal(decimalField({ p: 'abc' }, 'p'), undefined);
    assert.equal(decimalField({ p: 'Infinity' }, 'p'), undefined);
    assert.equal(rfc3339Field({ t: '2021-02-22T15:51:45.335689322Z' }, 't'), Date.UTC(2021, 1, 22, 15, 51, 45, 335));
    assert.equal(rfc3339Field({ t: 1614009105335 }, 't'), undefined);
    assert.equal(addQuantity(0.1, 0.2), 0.3);
    assert.equal(addQuantity(addQuantity(0, 0.001), 0.002), 0.003);
  });

  test('secrets never survive redaction', () => {
    assert.equal(redactSecrets('wss://ws.finnhub.io/?token=abc123&x=1'), 'wss://ws.finnhub.io/?token=***&x=1');
    assert.equal(redactSecrets('wss://user:pw@host/path?apiKey=k'), 'wss://***@host/path?apiKey=***');
    assert.ok(hasSecrets('ws://h/?key=1'));
    assert.ok(!hasSecrets('wss://stream.binance.com:9443/stream?streams=btcusdt@trade'));
  });
});

describe('UpstreamQuotes', () => {
  test('announces configured symbols before they trade, then describes them for real on the first update', () => {
    const sink = new RecordingSink();
    const quotes = new UpstreamQuotes((symbol) => ({ symbol, name: symbol, exchange: 'X', currency: 'USD' }));
    quotes.announce(sink, ['AAA', 'BBB']);
    assert.deepEqual(sink.symbols.map((s) => [s.symbol, s.prevClose]), [['AAA', 0], ['BBB', 0]]);
    quotes.hintPrevClose('BBB', 50);
    quotes.announce(sink, ['AAA', 'BBB']);
    assert.deepEqual(sink.symbols.slice(2).map((s) => [s.symbol, s.prevClose]), [['BBB', 50]], 'only the changed description is announced again');
    quotes.deliver(sink, [{ symbol: 'AAA', last: 10, size: 0.1 }, { symbol: 'AAA', last: 11, size: 0.2 }, { symbol: 'BBB', bid: 49, ask: 51 }]);
    assert.deepEqual(sink.symbols.slice(3).map((s) => [s.symbol, s.prevClose]), [['AAA', 10]]);
    const [a1, a2, b1] = sink.received;
    assert.equal(a2!.volume, 0.3, 'volume without float noise');
    assert.equal(a1!.seq, 1);
    assert.equal(b1!.prevClose, 50);
    assert.equal(b1!.last, 50, 'the mid before the first trade');
    quotes.deliver(sink, [{ symbol: 'AAA', last: -1 }, { symbol: 'AAA', bid: 12, ask: 11 }]);
    assert.equal(quotes.rejected, 2);
    assert.equal(sink.received.length, 3);
  });
});
