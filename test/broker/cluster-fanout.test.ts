import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Worker } from 'node:cluster';
import { ClusterFanout } from '../../src/broker/cluster-fanout.js';
import type { StreamEventMessage } from '../../src/broker/cluster-messages.js';
import { FeedStream } from '../../src/broker/feed-stream.js';
import { FakeFeed } from '../hub/fakes.js';

/** A cluster worker whose IPC channel delivers only when the test says so. */
class FakeWorker {
  readonly id = 1;
  readonly process = { pid: 4242 };
  readonly sent: StreamEventMessage[] = [];
  private readonly callbacks: Array<() => void> = [];
  isConnected(): boolean {
    return true;
  }
  send(message: StreamEventMessage, _handle: undefined, callback: () => void): boolean {
    this.sent.push(message);
    this.callbacks.push(callback);
    return true;
  }
  /** The worker read everything queued so far. */
  drain(): void {
    for (const cb of this.callbacks.splice(0)) cb();
  }
}

describe('ClusterFanout: the primary → worker channel is bounded', { timeout: 5_000 }, () => {
  test('a worker gets the state, then every event in order', async () => {
    const feed = new FakeFeed(['AAPL', 'MSFT']);
    const stream = new FeedStream(feed);
    await stream.run();
    const worker = new FakeWorker();
    new ClusterFanout(stream).add(worker as unknown as Worker);
    feed.push(['AAPL', 101]);
    assert.deepEqual(worker.sent.map((m) => m.tickstream), ['reset', 'quotes']);
    const reset = worker.sent[0] as Extract<StreamEventMessage, { tickstream: 'reset' }>;
    assert.equal(reset.snapshot.epoch, stream.epoch);
    assert.equal(reset.snapshot.quotes.length, 2);
  });

  test('a worker that stops reading gets no more batches past the bound, then one reset with the latest state', async () => {
    const feed = new FakeFeed(['AAPL']);
    const stream = new FeedStream(feed);
    await stream.run();
    const worker = new FakeWorker();
    const resynced: number[] = [];
    new ClusterFanout(stream, (w) => resynced.push(w.id)).add(worker as unknown as Worker);
    for (let i = 0; i < 1000; i++) feed.push(['AAPL', 100 + i / 100]);
    assert.ok(worker.sent.length <= 257, `bounded: ${worker.sent.length} messages queued for a worker that reads nothing`);
    worker.drain();
    assert.deepEqual(resynced, [1]);
    const last = worker.sent.at(-1) as Extract<StreamEventMessage, { tickstream: 'reset' }>;
    assert.equal(last.tickstream, 'reset');
    assert.equal(last.snapshot.quotes[0]!.last, 109.99, 'the reset carries the latest value');
    feed.push(['AAPL', 120]);
    assert.equal(worker.sent.at(-1)!.tickstream, 'quotes', 'live again after the reset');
  });
});
