/**
 * Interest-driven feeds (QuoteFeed.interest: Binance without --feed-symbols subscribes upstream only
 * to what clients want) need the clients' interest where the feed runs. In one process the hub tells
 * the feed directly (serve-command.ts connectFeed). Otherwise it travels:
 *  - a cluster worker sends its hub's interest to the primary over IPC; the primary tells the feed the
 *    union over its workers (cluster-primary.ts);
 *  - a Redis edge writes its hub's interest to Redis; the ingest reads the union over its live edges
 *    (broker/redis-interest.ts).
 */
import cluster from 'node:cluster';
import type { QuoteFeed } from '../market/index.js';
import { RedisInterestReader, RedisInterestWriter } from '../broker/redis-interest.js';
import type { Logger } from 'pino';
import type { TickstreamServer } from './server.js';

/** The IPC message a worker sends when its clients' interest changes. */
export interface InterestMessage {
  readonly tickstreamInterest: readonly string[];
}

export function isInterestMessage(value: unknown): value is InterestMessage {
  return typeof value === 'object' && value !== null && Array.isArray((value as { tickstreamInterest?: unknown }).tickstreamInterest);
}

/**
 * Sends this process's interest to where the feed runs, when that is elsewhere: to Redis for an edge,
 * to the primary for a cluster worker. Returns what stops it (nothing to stop in one process).
 */
export function shareInterest(server: TickstreamServer, broker: { url: string; prefix: string } | undefined, logger: Logger): () => Promise<void> {
  if (broker !== undefined) {
    const writer = new RedisInterestWriter({ ...broker, logger: logger.child({ component: 'interest' }) });
    writer.start();
    server.hub.watchInterest((symbols) => writer.update(symbols));
    return () => writer.stop();
  }
  if (cluster.isWorker) {
    server.hub.watchInterest((symbols) => process.send?.({ tickstreamInterest: [...symbols] } satisfies InterestMessage));
  }
  return () => Promise.resolve();
}

/** The ingest's side: an interest-driven feed follows the clients of every edge. Returns the stop. */
export function followEdgeInterest(feed: QuoteFeed, broker: { url: string; prefix: string }, logger: Logger): () => Promise<void> {
  const interest = feed.interest?.bind(feed);
  if (interest === undefined) return () => Promise.resolve();
  const reader = new RedisInterestReader({ ...broker, logger: logger.child({ component: 'interest' }) }, interest);
  reader.start();
  return () => reader.stop();
}
