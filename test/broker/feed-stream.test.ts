import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FeedStream } from '../../src/broker/feed-stream.js';
import type { StreamQuote, StreamSink, StreamSnapshot } from '../../src/broker/stream.js';
import type { FeedStatus, SymbolInfo } from '../../src/market/index.js';
import { FakeFeed, makeQuote } from '../hub/fakes.js';

/** Records every StreamSink call in order. */
class RecordingSink implements StreamSink {
  readonly events: Array<[string, unknown]> = [];
  reset(snapshot: StreamSnapshot): void {
    this.events.push(['reset', snapshot]);
  }
  quotes(batch: readonly StreamQuote[]): void {
    this.events.push(['quotes', batch]);
  }
  universe(added: readonly SymbolInfo[], removed: readonly string[]): void {
    this.events.push(['universe', { added: added.map((i) => i.symbol), removed }]);
  }
  status(status: FeedStatus): void {
    this.events.push(['status', status]);
  }
  quotesSeen(): StreamQuote[] {
    return this.events.filter(([kind]) => kind === 'quotes').flatMap(([, b]) => b as StreamQuote[]);
  }
}

describe('FeedStream: epoch, offsets and the stream guards', { timeout: 5_000 }, () => {
  test('a sink gets a reset first, then the universe, status up with the opening quotes, with contiguous offsets', async () => {
    const feed = new FakeFeed(['AAPL', 'MSFT']);
    const stream = new FeedStream(feed, { epoch: 'e-test' });
    const sink = new RecordingSink();
    await stream.start(sink);
    feed.push(['AAPL', 101], ['MSFT', 201], ['AAPL', 102]);
    assert.deepEqual(sink.events.map(([kind]) => kind), ['reset', 'universe', 'status', 'quotes', 'quotes']);
    const reset = sink.events[0]![1] as StreamSnapshot;
    assert.equal(reset.epoch, 'e-test');
    assert.equal(reset.offset, 0);
    assert.deepEqual(sink.quotesSeen().map((q) => q.offset), [1, 2, 3, 4, 5]);
    assert.equal(stream.state.offset, 5);
    assert.deepEqual(stream.health(), { ready: true });
  });

  test('a sink added later starts from the current state and continues at the next offset', async () => {
    const feed = new FakeFeed(['AAPL']);
    const stream = new FeedStream(feed);
    await stream.start(new RecordingSink());
    feed.push(['AAPL', 101]);
    const late = new RecordingSink();
    stream.addSink(late);
    feed.push(['AAPL', 102]);
    const [[kind, value], [, batch]] = late.events as [[string, StreamSnapshot], [string, StreamQuote[]]];
    assert.equal(kind, 'reset');
    assert.equal(value.offset, 2);
    assert.deepEqual(value.quotes.map((q) => [q.symbol, q.last, q.offset]), [['AAPL', 101, 2]]);
    assert.deepEqual(batch.map((q) => q.offset), [3]);
  });

  test('non-increasing seqs are dropped and do not use an offset; unannounced symbols are added', async () => {
    const feed = new FakeFeed(['AAPL']);
    const stream = new FeedStream(feed);
    const sink = new RecordingSink();
    await stream.start(sink);
    feed.pushRaw([makeQuote('AAPL', 1, 1, 0), makeQuote('NEW', 5, 1, 0), makeQuote('AAPL', 101, 2, 0)]);
    assert.equal(stream.droppedQuotes, 1);
    const last = sink.quotesSeen().slice(-2);
    assert.deepEqual(last.map((q) => [q.symbol, q.offset]), [['NEW', 2], ['AAPL', 3]]);
    assert.ok(sink.events.some(([kind, v]) => kind === 'universe' && (v as { added: string[] }).added.includes('NEW')));
  });

  test('each stream has its own epoch; stop stops the feed and nothing more is delivered', async () => {
    const a = new FeedStream(new FakeFeed(['AAPL']));
    const b = new FeedStream(new FakeFeed(['AAPL']));
    assert.notEqual(a.epoch, b.epoch);
    const feed = new FakeFeed(['AAPL']);
    const stream = new FeedStream(feed);
    const sink = new RecordingSink();
    await stream.start(sink);
    await stream.stop();
    assert.equal(feed.stopped, true);
    const count = sink.events.length;
    assert.throws(() => feed.push(['AAPL', 1])); // the feed's sink was released
    assert.equal(sink.events.length, count);
  });

  test('a feed that reports down makes the stream not ready, with the reason', async () => {
    const feed = new FakeFeed(['AAPL']);
    const stream = new FeedStream(feed);
    await stream.start(new RecordingSink());
    feed.setStatus({ state: 'down', reason: 'upstream closed 1006' });
    assert.deepEqual(stream.health(), { ready: false, reason: 'feed down: upstream closed 1006' });
  });
});
