/**
 * The app's side of the Redis broker: builds the edge's stream source and the ingest's publisher
 * from a URL and a prefix, and turns a bad URL into a usage error (exit 2).
 */
import type { Logger } from 'pino';
import { RedisPublisher } from '../broker/redis-publisher.js';
import { RedisStreamSource } from '../broker/redis-source.js';
import { probeRedis } from '../broker/redis-probe.js';
import { BrokerUrlError, parseRedisUrl, redactRedisUrl } from '../broker/redis-url.js';
import type { SourceHealth, StreamSink, StreamSnapshot, StreamSource } from '../broker/stream.js';
import { ConfigError } from './config.js';
import type { ServerMetrics } from './metrics.js';

export interface BrokerPublisher extends StreamSink {
  start(): Promise<void>;
  stop(): Promise<void>;
  health(): SourceHealth;
  counters(): { quotes: number; batches: number; reconnects: number; republishes: number };
  /** The broker URL without credentials, for logs. */
  describe(): string;
}

/**
 * Before a process commits to a broker: a Redis that refuses the credentials (or the db) in the URL
 * is a usage error (exit 2); one that is merely unreachable is logged once and waited for.
 */
export async function checkBroker(url: string): Promise<void> {
  validateBrokerUrl(url);
  const probe = await probeRedis(url);
  if (probe.kind === 'refused') throw new ConfigError(`--broker: Redis at ${redactRedisUrl(url)} refused the connection: ${probe.reason}`);
  // Unreachable: the process starts anyway; its broker connection says so once and keeps retrying.
}

/** Checks a broker URL; throws ConfigError with a one-line reason. */
export function validateBrokerUrl(url: string): void {
  try {
    parseRedisUrl(url);
  } catch (err) {
    if (err instanceof BrokerUrlError) throw new ConfigError(`--broker: ${err.message}`);
    throw err;
  }
}

/** An edge's stream: the Redis source, its reconnects counted in the server's metrics. */
export function createBrokerSource(url: string, prefix: string | undefined, logger: Logger, metrics?: ServerMetrics): StreamSource {
  validateBrokerUrl(url);
  return new RedisStreamSource({
    url,
    ...(prefix !== undefined ? { prefix } : {}),
    logger: logger.child({ component: 'broker' }),
    ...(metrics !== undefined ? { metrics: { brokerReconnect: () => metrics.brokerReconnect() } } : {}),
  });
}

/** The ingest's publisher; `snapshot` is the FeedStream's current state (republished when Redis lost it). */
export function createBrokerPublisher(url: string, prefix: string, snapshot: () => StreamSnapshot, logger: Logger): BrokerPublisher {
  validateBrokerUrl(url);
  return new RedisPublisher({ url, prefix, snapshot, logger: logger.child({ component: 'broker' }) });
}
