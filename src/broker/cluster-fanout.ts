import type { Worker } from 'node:cluster';
import type { FeedStatus, SymbolInfo } from '../market/index.js';
import type { StreamEventMessage } from './cluster-messages.js';
import type { FeedStream } from './feed-stream.js';
import type { StreamQuote, StreamSink, StreamSnapshot } from './stream.js';
import type { HistorySeries } from '../market/bars/index.js';

/**
 * Most stream messages queued for one worker's IPC channel before the worker counts as lagging. A
 * worker that stops reading (stuck, or swapping) must not make the primary buffer without bound.
 */
const MAX_IN_FLIGHT = 256;

/**
 * The cluster primary's side of one worker: a StreamSink that forwards every stream event to that
 * worker over IPC. Bounded: past MAX_IN_FLIGHT unsent messages it stops sending batches, and once the
 * channel has drained it sends one reset with the current state, so the worker catches up with
 * the latest value of every symbol (same epoch: its clients see newer quotes, never older ones).
 */
export class WorkerStreamSink implements StreamSink {
  private readonly worker: Worker;
  private readonly state: () => StreamSnapshot;
  private readonly onResync: (worker: Worker) => void;
  private inFlight = 0;
  private lagging = false;

  constructor(worker: Worker, state: () => StreamSnapshot, onResync: (worker: Worker) => void) {
    this.worker = worker;
    this.state = state;
    this.onResync = onResync;
  }

  reset(snapshot: StreamSnapshot): void {
    this.send({ tickstream: 'reset', snapshot }, true);
  }

  quotes(batch: readonly StreamQuote[]): void {
    this.send({ tickstream: 'quotes', batch }, false);
  }

  universe(added: readonly SymbolInfo[], removed: readonly string[]): void {
    this.send({ tickstream: 'universe', added, removed }, true);
  }

  status(status: FeedStatus): void {
    this.send({ tickstream: 'status', status }, true);
  }

  history(series: readonly HistorySeries[]): void {
    this.send({ tickstream: 'history', series }, true);
  }

  private send(message: StreamEventMessage, control: boolean): void {
    if (!this.worker.isConnected()) return;
    if (this.lagging && !control) return;
    if (this.inFlight >= MAX_IN_FLIGHT) {
      this.lagging = true;
      if (!control) return;
    }
    this.inFlight++;
    this.worker.send(message, undefined, () => this.sent());
  }

  private sent(): void {
    this.inFlight--;
    if (this.inFlight === 0 && this.lagging) {
      this.lagging = false;
      this.onResync(this.worker);
      this.reset(this.state());
    }
  }
}

/** Connects workers to the primary's FeedStream for as long as they live. */
export class ClusterFanout {
  private readonly stream: FeedStream;
  private readonly sinks = new Map<Worker, WorkerStreamSink>();
  private readonly onResync: (worker: Worker) => void;

  /** `onResync`: a worker fell behind and was sent the current state (worth a log line). */
  constructor(stream: FeedStream, onResync: (worker: Worker) => void = () => {}) {
    this.stream = stream;
    this.onResync = onResync;
  }

  /** The worker gets the current state at once, then every event. */
  add(worker: Worker): void {
    if (this.sinks.has(worker)) return;
    // A lagging worker is resynchronised without the bars (they can be megabytes, and resending them
    // is what would make it lag again); the newer quotes of the reset continue the bars it has.
    const sink = new WorkerStreamSink(worker, () => this.stream.state.snapshot(false), this.onResync);
    this.sinks.set(worker, sink);
    this.stream.addSink(sink);
  }

  remove(worker: Worker): void {
    const sink = this.sinks.get(worker);
    if (sink === undefined) return;
    this.sinks.delete(worker);
    this.stream.removeSink(sink);
  }
}
