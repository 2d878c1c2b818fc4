import { isStreamEventMessage, type StreamEventMessage, type SubscribeMessage } from './cluster-messages.js';
import type { SourceHealth, StreamSink, StreamSource } from './stream.js';

/** How long a worker waits for the primary's first reset before giving up (the primary then replaces it). */
const FIRST_STATE_TIMEOUT_MS = 10_000;

/**
 * A cluster worker's stream: the events the primary's feed sends over IPC (see ClusterFanout).
 * `start` resolves once the current state (the first reset) has arrived, so a worker never accepts
 * a client before it has the market.
 */
export class ClusterWorkerSource implements StreamSource {
  readonly name = 'cluster-primary';
  private sink: StreamSink | null = null;
  private ready = false;
  private gotFirstState: (() => void) | null = null;
  private readonly onMessage = (message: unknown): void => {
    if (this.sink !== null && isStreamEventMessage(message)) this.dispatch(this.sink, message);
  };

  async start(sink: StreamSink): Promise<void> {
    if (process.send === undefined) throw new Error('ClusterWorkerSource needs an IPC channel to the cluster primary');
    this.sink = sink;
    process.on('message', this.onMessage);
    const first = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no stream from the cluster primary within ${FIRST_STATE_TIMEOUT_MS} ms`)), FIRST_STATE_TIMEOUT_MS);
      this.gotFirstState = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    process.send({ tickstream: 'subscribe' } satisfies SubscribeMessage);
    await first;
  }

  async stop(): Promise<void> {
    process.off('message', this.onMessage);
    this.sink = null;
  }

  health(): SourceHealth {
    return this.ready ? { ready: true } : { ready: false, reason: 'waiting for the stream from the cluster primary' };
  }

  private dispatch(sink: StreamSink, message: StreamEventMessage): void {
    switch (message.tickstream) {
      case 'reset':
        sink.reset(message.snapshot);
        this.ready = true;
        this.gotFirstState?.();
        this.gotFirstState = null;
        return;
      case 'quotes':
        return sink.quotes(message.batch);
      case 'universe':
        return sink.universe(message.added, message.removed);
      case 'status':
        return sink.status(message.status);
      case 'history':
        return sink.history?.(message.series);
    }
  }
}
