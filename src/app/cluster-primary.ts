/**
 * `tickstream serve --workers N`: the cluster primary. It runs the ONE feed of the server (unless the
 * workers read a broker) and hands its stream to N worker processes that share the port
 * (node:cluster), so every worker serves the same market: same epoch, same seqs, same offsets.
 * A worker that dies is replaced; the others keep serving. The primary serves no client itself.
 */
import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';
import { AggregatorRegistry } from 'prom-client';
import { ClusterFanout } from '../broker/cluster-fanout.js';
import { isSubscribeMessage } from '../broker/cluster-messages.js';
import { FeedStream } from '../broker/feed-stream.js';
import { InterestUnion } from '../broker/interest-union.js';
import type { QuoteFeed } from '../market/index.js';
import { isControlMessage, type ControlMessage } from './cluster-control.js';
import { isInterestMessage } from './interest-sharing.js';
import type { WorkerHealth } from './routes.js';

export interface ClusterPrimaryOptions {
  workers: number;
  /** The feed to run here; null when every worker reads the stream from a broker. */
  feed: QuoteFeed | null;
  logger: Logger;
  /** Most time a graceful shutdown may take before workers are killed. */
  shutdownDeadlineMs: number;
}

/** A worker that does not answer a stats question in this time is listed as not ready. */
const STATS_TIMEOUT_MS = 1_000;
/** A worker that dies within this long of its start is restarted with a growing delay (crash loop). */
const QUICK_DEATH_MS = 5_000;
const MIN_RESTART_DELAY_MS = 100;
const MAX_RESTART_DELAY_MS = 5_000;

export class ClusterPrimary {
  private readonly options: ClusterPrimaryOptions;
  private readonly logger: Logger;
  private readonly stream: FeedStream | null;
  private readonly fanout: ClusterFanout | null;
  private readonly aggregator = new AggregatorRegistry();
  /** Open stats questions: id → collector of answers. */
  private readonly statsQuestions = new Map<number, (worker: Worker, stats: WorkerHealth) => void>();
  private nextQuestion = 1;
  private readonly startedAt = new Map<Worker, number>();
  /** The clients' interest over every worker, for an interest-driven feed (interest-sharing.ts). */
  private readonly interest: InterestUnion;
  private restartDelayMs = MIN_RESTART_DELAY_MS;
  private stopping = false;
  private announced = false;
  /** Workers replaced after an unexpected exit. */
  restarts = 0;

  constructor(options: ClusterPrimaryOptions) {
    this.options = options;
    this.logger = options.logger;
    const feed = options.feed;
    this.interest = new InterestUnion((symbols) => feed?.interest?.(symbols));
    this.stream = options.feed === null ? null : new FeedStream(options.feed, { logger: options.logger.child({ component: 'stream' }) });
    this.fanout =
      this.stream === null
        ? null
        : new ClusterFanout(this.stream, (worker) =>
            this.logger.warn({ worker: worker.id, pid: worker.process.pid }, 'worker fell behind the stream; sent it the current state'),
          );
  }

  async start(): Promise<void> {
    // Structured clone instead of JSON on the IPC channel: quote batches cross it at feed rate.
    cluster.setupPrimary({ serialization: 'advanced' });
    cluster.on('message', (worker, message) => this.onMessage(worker, message));
    cluster.on('exit', (worker, code, signal) => this.onExit(worker, code, signal));
    // Announced once every first-generation worker listens (each has the stream by then), so a
    // script waiting for this line can connect to any worker.
    const listening = new Set<number>();
    cluster.on('listening', (worker, address) => {
      listening.add(worker.id);
      if (this.announced || listening.size < this.options.workers) return;
      this.announced = true;
      this.logger.info({ port: address.port, workers: this.options.workers, pid: process.pid }, 'cluster listening');
    });
    await this.stream?.run();
    for (let i = 0; i < this.options.workers; i++) this.fork();
  }

  /** Every worker closes its clients (1001) and exits; then the feed stops. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    const workers = liveWorkers();
    const exited = workers.map((w) => new Promise<void>((resolve) => (w.isDead() ? resolve() : w.once('exit', () => resolve()))));
    for (const w of workers) w.process.kill('SIGTERM');
    const deadline = setTimeout(() => {
      for (const w of workers) if (!w.isDead()) w.process.kill('SIGKILL');
    }, this.options.shutdownDeadlineMs);
    await Promise.all(exited);
    clearTimeout(deadline);
    await this.stream?.stop();
  }

  private fork(): void {
    const worker = cluster.fork();
    this.startedAt.set(worker, Date.now());
  }

  private onExit(worker: Worker, code: number | null, signal: string | null): void {
    this.fanout?.remove(worker);
    this.interest.delete(String(worker.id));
    const lived = Date.now() - (this.startedAt.get(worker) ?? 0);
    this.startedAt.delete(worker);
    if (this.stopping) return;
    this.restartDelayMs = lived < QUICK_DEATH_MS ? Math.min(this.restartDelayMs * 2, MAX_RESTART_DELAY_MS) : MIN_RESTART_DELAY_MS;
    this.logger.warn({ worker: worker.id, pid: worker.process.pid, code, signal, restartInMs: this.restartDelayMs }, 'worker exited; replacing it');
    this.restarts++;
    setTimeout(() => {
      if (!this.stopping) this.fork();
    }, this.restartDelayMs).unref();
  }

  private onMessage(worker: Worker, message: unknown): void {
    // The worker is listening: from now on it gets the current state, then every stream event.
    if (isSubscribeMessage(message)) return this.fanout?.add(worker);
    if (isInterestMessage(message)) return this.interest.set(String(worker.id), message.tickstreamInterest);
    if (!isControlMessage(message)) return;
    switch (message.tickstreamControl) {
      case 'stats':
        this.statsQuestions.get(message.id)?.(worker, message.stats);
        return;
      case 'workers?':
        void this.collectStats().then((workers) => this.reply(worker, { tickstreamControl: 'workers', id: message.id, workers }));
        return;
      case 'metrics?':
        this.aggregator.clusterMetrics().then(
          (text) => this.reply(worker, { tickstreamControl: 'metrics', id: message.id, text }),
          (err: unknown) => this.reply(worker, { tickstreamControl: 'metrics', id: message.id, text: '', error: (err as Error).message }),
        );
        return;
      default:
        return;
    }
  }

  /** Asks every live worker for its figures now; one that does not answer in time is listed as not ready. */
  private collectStats(): Promise<WorkerHealth[]> {
    const workers = liveWorkers().filter((w) => w.isConnected());
    const id = this.nextQuestion++;
    const answers = new Map<Worker, WorkerHealth>();
    return new Promise((resolve) => {
      const finish = (): void => {
        clearTimeout(timer);
        this.statsQuestions.delete(id);
        resolve(
          workers.map(
            (w) => answers.get(w) ?? { worker: w.id, pid: w.process.pid ?? 0, clients: 0, subscriptions: 0, slowClients: 0, ready: false },
          ),
        );
      };
      const timer = setTimeout(finish, STATS_TIMEOUT_MS);
      this.statsQuestions.set(id, (worker, stats) => {
        answers.set(worker, stats);
        if (answers.size === workers.length) finish();
      });
      for (const w of workers) w.send({ tickstreamControl: 'stats?', id } satisfies ControlMessage);
      if (workers.length === 0) finish();
    });
  }

  private reply(worker: Worker, message: ControlMessage): void {
    if (worker.isConnected()) worker.send(message);
  }
}

/** The workers node:cluster currently knows (its map has holes for exited ones). */
function liveWorkers(): Worker[] {
  return Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
}
