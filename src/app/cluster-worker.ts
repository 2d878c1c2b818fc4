import cluster from 'node:cluster';
import { AggregatorRegistry } from 'prom-client';
import { isControlMessage, type ControlMessage } from './cluster-control.js';
import type { ServerMetrics } from './metrics.js';
import type { ClusterView, WorkerHealth } from './routes.js';

/** A question to the primary that gets no answer in this time falls back to this worker's own figures. */
const ASK_TIMEOUT_MS = 2000;

/**
 * A cluster worker's view of the whole server, for /healthz and /metrics: any worker may get the
 * request, so it asks the primary, which knows every worker. Metrics are aggregated by prom-client's
 * own cluster support (AggregatorRegistry), which asks each worker's registry.
 */
export class WorkerClusterView implements ClusterView {
  private readonly own: () => WorkerHealth;
  private readonly pending = new Map<number, (message: ControlMessage) => void>();
  private nextId = 1;
  private readonly onMessage = (message: unknown): void => {
    if (!isControlMessage(message) || !('id' in message)) return;
    if (message.tickstreamControl === 'stats?') {
      process.send?.({ tickstreamControl: 'stats', id: message.id, stats: this.own() } satisfies ControlMessage);
      return;
    }
    const resolve = this.pending.get(message.id);
    if (resolve === undefined) return;
    this.pending.delete(message.id);
    resolve(message);
  };

  constructor(metrics: ServerMetrics, own: () => WorkerHealth) {
    if (!cluster.isWorker) throw new Error('WorkerClusterView runs in a cluster worker');
    // Registers prom-client's worker-side listener and points it at this server's own registry.
    new AggregatorRegistry();
    AggregatorRegistry.setRegistries([metrics.registry]);
    this.own = own;
    process.on('message', this.onMessage);
  }

  close(): void {
    process.off('message', this.onMessage);
  }

  async workers(): Promise<readonly WorkerHealth[]> {
    const answer = await this.ask({ tickstreamControl: 'workers?', id: this.nextId++ });
    if (answer?.tickstreamControl !== 'workers') return [this.own()];
    return [...answer.workers].sort((a, b) => a.worker - b.worker);
  }

  async metrics(): Promise<string> {
    const answer = await this.ask({ tickstreamControl: 'metrics?', id: this.nextId++ });
    if (answer?.tickstreamControl !== 'metrics' || answer.error !== undefined) {
      throw new Error(`cluster metrics unavailable: ${answer?.tickstreamControl === 'metrics' ? answer.error : 'no answer from the primary'}`);
    }
    return answer.text;
  }

  private ask(question: ControlMessage & { id: number }): Promise<ControlMessage | null> {
    return new Promise((resolve) => {
      const timeout = setTimeout(() => {
        this.pending.delete(question.id);
        resolve(null);
      }, ASK_TIMEOUT_MS);
      this.pending.set(question.id, (message) => {
        clearTimeout(timeout);
        resolve(message);
      });
      process.send?.(question);
    });
  }
}
