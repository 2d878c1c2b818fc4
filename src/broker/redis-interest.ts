/**
 * Interest through Redis: which symbols the clients of every edge want, so that an ingest whose
 * feed subscribes upstream only to what is wanted (Binance without --feed-symbols) follows the
 * clients of all its edges.
 *
 *   {prefix}:interest        hash edge id -> the edge's symbols, comma-separated
 *   {prefix}:interest:seen   sorted set edge id -> ms of the edge's last write (its heartbeat)
 *
 * An edge writes its set when it changes and again every 10 s (so an edge that died without a word
 * drops out after 30 s, and a Redis restarted empty learns the sets again); the ingest reads them
 * once a second. A new symbol is therefore subscribed upstream within about a second of the first
 * client asking for it on any edge; the feed's own hysteresis (30 s) covers the way back.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { BrokerLink, type BrokerLogger } from './redis-connection.js';
import { InterestUnion } from './interest-union.js';

const REFRESH_EVERY_MS = 10_000;
const EDGE_TTL_MS = 30_000;
const READ_EVERY_MS = 1_000;

export function interestKeys(prefix: string): { readonly sets: string; readonly seen: string } {
  return { sets: `${prefix}:interest`, seen: `${prefix}:interest:seen` };
}

/** The edge's side: publishes this process's interest. */
export class RedisInterestWriter {
  readonly id = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  private readonly keys: ReturnType<typeof interestKeys>;
  private link: BrokerLink | null = null;
  private symbols: readonly string[] = [];
  private timer: NodeJS.Timeout | null = null;
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly options: { readonly url: string; readonly prefix: string; readonly logger?: BrokerLogger }) {
    this.keys = interestKeys(options.prefix);
  }

  start(): void {
    this.link = new BrokerLink({ url: this.options.url, role: 'interest' }, { ready: () => this.write(), down: () => {} });
    this.timer = setInterval(() => this.write(), REFRESH_EVERY_MS);
    this.timer.unref();
  }

  /** This edge's clients now want `symbols` (hub.watchInterest). */
  update(symbols: ReadonlySet<string>): void {
    this.symbols = [...symbols].sort();
    this.write();
  }

  async stop(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    const link = this.link;
    this.link = null;
    if (link === null) return;
    await this.writing;
    if (link.redis.status === 'ready') {
      await link.redis.multi().hdel(this.keys.sets, this.id).zrem(this.keys.seen, this.id).exec().catch(() => null);
    }
    await link.close();
  }

  private write(): void {
    const redis = this.link?.redis;
    if (redis === undefined || redis.status !== 'ready') return; // written again on 'ready'
    const symbols = this.symbols.join(',');
    this.writing = this.writing.then(() =>
      redis
        .multi()
        .hset(this.keys.sets, this.id, symbols)
        .zadd(this.keys.seen, Date.now(), this.id)
        .exec()
        .then(
          () => undefined,
          (err: unknown) => this.options.logger?.warn({ err: err instanceof Error ? err.message : String(err) }, 'could not write client interest to Redis'),
        ),
    );
  }
}

/** The ingest's side: the union of every live edge's interest, read once a second. */
export class RedisInterestReader {
  private readonly keys: ReturnType<typeof interestKeys>;
  private readonly union: InterestUnion;
  private link: BrokerLink | null = null;
  private timer: NodeJS.Timeout | null = null;
  private reading = false;
  private failures = 0;

  constructor(
    private readonly options: { readonly url: string; readonly prefix: string; readonly logger?: BrokerLogger; readonly readEveryMs?: number },
    listener: (symbols: ReadonlySet<string>) => void,
  ) {
    this.keys = interestKeys(options.prefix);
    this.union = new InterestUnion(listener);
  }

  start(): void {
    this.link = new BrokerLink({ url: this.options.url, role: 'interest' }, { ready: () => void this.read(), down: () => {} });
    this.timer = setInterval(() => void this.read(), this.options.readEveryMs ?? READ_EVERY_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    await this.link?.close();
    this.link = null;
  }

  /** Reads every edge's set; edges not heard from for 30 s are dropped (and their entries removed). */
  async read(): Promise<void> {
    const redis = this.link?.redis;
    if (redis === undefined || redis.status !== 'ready' || this.reading) return;
    this.reading = true;
    try {
      const cutoff = Date.now() - EDGE_TTL_MS;
      const results = await redis.multi().zrangebyscore(this.keys.seen, cutoff, '+inf').hgetall(this.keys.sets).zrangebyscore(this.keys.seen, '-inf', `(${cutoff}`).exec();
      if (results === null || results.some(([err]) => err !== null)) throw results?.find(([err]) => err !== null)?.[0] ?? new Error('interest read discarded');
      const live = new Set(results[0]![1] as string[]);
      const sets = results[1]![1] as Record<string, string>;
      const gone = results[2]![1] as string[];
      const parts = new Map<string, string[]>();
      for (const [edge, symbols] of Object.entries(sets)) {
        if (live.has(edge)) parts.set(edge, symbols === '' ? [] : symbols.split(','));
      }
      this.union.replaceAll(parts);
      if (gone.length > 0) await redis.multi().hdel(this.keys.sets, ...gone).zrem(this.keys.seen, ...gone).exec();
      this.failures = 0;
    } catch (err) {
      if (this.failures++ === 0) this.options.logger?.warn({ err: err instanceof Error ? err.message : String(err) }, 'could not read client interest from Redis; keeping the last known');
    } finally {
      this.reading = false;
    }
  }
}
