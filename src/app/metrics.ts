/**
 * Prometheus metrics of ONE server instance: its own prom-client Registry (never the global one),
 * so several servers in one process (tests, embedding) do not mix their numbers.
 *
 * The hub calls {@link ServerMetrics.messagesSent} once per client delivery, which is a hot path:
 * those calls only add to plain numbers, and the counters are brought up to date when Prometheus
 * scrapes (prom-client's `collect` hook).
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { HubMetrics } from '../hub/index.js';
import type { UpstreamStats, UpstreamStatsSource } from '../market/upstream/index.js';

export type SlowConsumerEvent = 'conflating' | 'resumed' | 'closed';

/** Every metric name this module registers (besides the default process/nodejs ones). */
export const METRIC_NAMES = {
  connections: 'tickstream_connections',
  connectionsTotal: 'tickstream_connections_total',
  messagesSent: 'tickstream_messages_sent_total',
  bytesSent: 'tickstream_bytes_sent_total',
  slowConsumerEvents: 'tickstream_slow_consumer_events_total',
  feedTicks: 'tickstream_feed_ticks_total',
  pushLatency: 'tickstream_push_latency_seconds',
  subscriptions: 'tickstream_subscriptions',
  streamReady: 'tickstream_stream_ready',
  streamOffset: 'tickstream_stream_offset',
  brokerReconnects: 'tickstream_broker_reconnects_total',
  httpRequests: 'tickstream_http_requests_total',
  upgradesRefused: 'tickstream_upgrades_refused_total',
  limitCloses: 'tickstream_limit_closes_total',
} as const;

/** Why the server closed a client because of one of its limits (a bounded label set). */
export type LimitCloseReason = 'slow_consumer' | 'rate_limited' | 'message_timeout' | 'max_lifetime' | 'idle_timeout' | 'token_expired';
const LIMIT_CLOSE_REASONS: readonly LimitCloseReason[] = ['slow_consumer', 'rate_limited', 'message_timeout', 'max_lifetime', 'idle_timeout', 'token_expired'];

export interface ServerMetricsOptions {
  /** Reads the hub's live numbers at scrape time. */
  hubStats?: () => { subscriptions: number };
  /** Reads whether the stream source is ready and the stream offset held, at scrape time. */
  stream?: () => { ready: boolean; offset: number };
  /** Also register prom-client's default process metrics (CPU, memory, event loop lag, GC). */
  defaultMetrics?: boolean;
}

export class ServerMetrics implements HubMetrics {
  readonly registry = new Registry();
  private pendingMessages = 0;
  private pendingBytes = 0;
  private pendingTicks = 0;
  private readonly connections: Gauge;
  private readonly connectionsTotal: Counter;
  private readonly slowConsumerEvents: Counter<'kind'>;
  private readonly pushLatencyHistogram: Histogram;
  private readonly httpRequests: Counter<'status'>;
  private readonly brokerReconnects: Counter;
  private readonly upgradesRefused: Counter<'status'>;
  private readonly limitCloses: Counter<'reason'>;

  constructor(options: ServerMetricsOptions = {}) {
    const registers = [this.registry];
    // Arrow functions keep `this` pointing at the ServerMetrics instance inside collect().
    const takeMessages = (): number => {
      const n = this.pendingMessages;
      this.pendingMessages = 0;
      return n;
    };
    const takeBytes = (): number => {
      const n = this.pendingBytes;
      this.pendingBytes = 0;
      return n;
    };
    const takeTicks = (): number => {
      const n = this.pendingTicks;
      this.pendingTicks = 0;
      return n;
    };
    this.connections = new Gauge({ name: METRIC_NAMES.connections, help: 'Open WebSocket connections', registers });
    this.connectionsTotal = new Counter({
      name: METRIC_NAMES.connectionsTotal,
      help: 'WebSocket connections accepted since start',
      registers,
    });
    new Counter({
      name: METRIC_NAMES.messagesSent,
      help: 'WebSocket messages handed to client sockets',
      registers,
      collect() {
        this.inc(takeMessages());
      },
    });
    new Counter({
      name: METRIC_NAMES.bytesSent,
      help: 'WebSocket bytes (frames) handed to client sockets',
      registers,
      collect() {
        this.inc(takeBytes());
      },
    });
    this.slowConsumerEvents = new Counter({
      name: METRIC_NAMES.slowConsumerEvents,
      help: 'Slow-consumer policy events by kind (conflating, resumed, closed)',
      labelNames: ['kind'],
      registers,
    });
    for (const kind of ['conflating', 'resumed', 'closed'] as const) this.slowConsumerEvents.inc({ kind }, 0);
    new Counter({
      name: METRIC_NAMES.feedTicks,
      help: 'Quote ticks received from the feed (rate() gives ticks per second)',
      registers,
      collect() {
        this.inc(takeTicks());
      },
    });
    this.pushLatencyHistogram = new Histogram({
      name: METRIC_NAMES.pushLatency,
      help: 'Time from the feed producing a tick to its frame being handed to the sockets',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
    const hubStats = options.hubStats;
    if (hubStats) {
      new Gauge({
        name: METRIC_NAMES.subscriptions,
        help: 'Symbol subscriptions over all clients',
        registers,
        collect() {
          this.set(hubStats().subscriptions);
        },
      });
    }
    const stream = options.stream;
    if (stream) {
      new Gauge({
        name: METRIC_NAMES.streamReady,
        help: '1 while this process receives the stream (0: broker unreachable, no state yet)',
        registers,
        collect() {
          this.set(stream().ready ? 1 : 0);
        },
      });
      new Gauge({
        name: METRIC_NAMES.streamOffset,
        help: 'Stream offset of the latest quote held (same value on every process of one market)',
        registers,
        collect() {
          this.set(stream().offset);
        },
      });
    }
    this.brokerReconnects = new Counter({
      name: METRIC_NAMES.brokerReconnects,
      help: 'Times the connection to the broker was re-established (edges)',
      registers,
    });
    this.httpRequests = new Counter({
      name: METRIC_NAMES.httpRequests,
      help: 'HTTP requests answered, by status code',
      labelNames: ['status'],
      registers,
    });
    this.upgradesRefused = new Counter({
      name: METRIC_NAMES.upgradesRefused,
      help: 'WebSocket upgrades refused, by HTTP status (401/403 auth and origin, 429 per-address limits, 503 capacity)',
      labelNames: ['status'],
      registers,
    });
    this.limitCloses = new Counter({
      name: METRIC_NAMES.limitCloses,
      help: 'Connections the server closed because a limit was reached, by reason',
      labelNames: ['reason'],
      registers,
    });
    for (const reason of LIMIT_CLOSE_REASONS) this.limitCloses.inc({ reason }, 0);
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry });
  }

  messagesSent(count: number, bytes: number): void {
    this.pendingMessages += count;
    this.pendingBytes += bytes;
  }

  brokerReconnect(): void {
    this.brokerReconnects.inc();
  }

  slowConsumer(event: SlowConsumerEvent): void {
    this.slowConsumerEvents.inc({ kind: event });
  }

  feedTicks(count: number): void {
    this.pendingTicks += count;
  }

  pushLatency(seconds: number): void {
    this.pushLatencyHistogram.observe(seconds);
  }

  clientConnected(): void {
    this.connections.inc();
    this.connectionsTotal.inc();
  }

  clientDisconnected(): void {
    this.connections.dec();
  }

  upgradeRefused(status: number): void {
    this.upgradesRefused.inc({ status: String(status) });
  }

  limitClose(reason: LimitCloseReason): void {
    this.limitCloses.inc({ reason });
  }

  httpRequest(status: number): void {
    this.httpRequests.inc({ status: String(status) });
  }

  /** The Prometheus text exposition of this instance's registry. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

/**
 * The counters of an upstream feed (finnhub, alpaca, binance: src/market/upstream), read at scrape
 * time into `registry`, labelled with the feed's name. Nothing is added to the per-message path.
 */
export function registerUpstreamMetrics(registry: Registry, feed: UpstreamStatsSource): void {
  const registers = [registry];
  const labels = { feed: feed.name };
  const counters: readonly [string, string, (s: UpstreamStats) => number][] = [
    ['tickstream_upstream_messages_total', 'Messages received from the upstream provider (data, control, heartbeats)', (s) => s.messages],
    ['tickstream_upstream_quotes_total', 'Quotes the upstream feed produced (after the normaliser)', (s) => s.quotes],
    ['tickstream_upstream_parse_errors_total', 'Malformed upstream messages or entries skipped, and updates the normaliser refused', (s) => s.parseErrors],
    ['tickstream_upstream_reconnects_total', 'Upstream connections re-established after a loss', (s) => s.reconnects],
    ['tickstream_upstream_connect_attempts_total', 'Upstream connection attempts, successful or not', (s) => s.connectAttempts],
  ];
  for (const [name, help, read] of counters) {
    let seen = 0;
    new Counter({
      name,
      help,
      labelNames: ['feed'],
      registers,
      collect() {
        const now = read(feed.upstreamStats());
        this.inc(labels, Math.max(0, now - seen));
        seen = now;
      },
    });
  }
  new Gauge({
    name: 'tickstream_upstream_last_message_age_seconds',
    help: 'Seconds since the last message from the upstream provider (-1: none yet)',
    labelNames: ['feed'],
    registers,
    collect() {
      const at = feed.upstreamStats().lastMessageAt;
      this.set(labels, at === 0 ? -1 : (Date.now() - at) / 1000);
    },
  });
  new Gauge({
    name: 'tickstream_upstream_lag_seconds',
    help: "Now minus the provider's timestamp of the latest message that carried one (its delay, plus any clock difference)",
    labelNames: ['feed'],
    registers,
    collect() {
      const lag = feed.upstreamStats().lagMs;
      if (lag !== undefined) this.set(labels, lag / 1000);
    },
  });
  new Gauge({
    name: 'tickstream_upstream_subscribed_symbols',
    help: 'Symbols subscribed upstream now (interest-driven feeds follow the clients)',
    labelNames: ['feed'],
    registers,
    collect() {
      this.set(labels, feed.upstreamStats().subscribedSymbols);
    },
  });
}
