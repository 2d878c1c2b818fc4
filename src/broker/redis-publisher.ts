/**
 * Redis as the broker between one `ingest` process (runs the feed) and any number of `edge`
 * processes (serve clients). This file is the ingest's end; redis-source.ts is the edges' end.
 *
 * ## Keys (prefix `tickstream` by default, so several markets can share one Redis)
 *   {prefix}:stream    Redis Stream, one entry per quote BATCH (never per quote), universe change,
 *                      status change, heartbeat, or reset (entry format: redis-codec.ts)
 *   {prefix}:last      hash symbol → latest quote (with its offset)
 *   {prefix}:universe  hash symbol → SymbolInfo JSON
 *   {prefix}:meta      hash v (format), epoch, offset, status, at (ms of the ingest's last write)
 *
 * ## Why Streams, not pub/sub (or sharded pub/sub)
 * Pub/sub is fire-and-forget: a subscriber that blinks (network hiccup, Redis failover, GC pause,
 * restart) silently loses whatever was published meanwhile and cannot tell how much. A Stream is a
 * log with ids: an edge that was away for a moment continues with `XREAD ... STREAMS key <last id>`
 * and receives exactly what it missed, in order; a gap (the log was trimmed past it) is visible
 * (the next offset is not the expected one) and answered with a snapshot reset. Sharded pub/sub only
 * spreads channels over cluster nodes; it has the same loss semantics. The price of a Stream is its
 * memory (bounded, below) and one request per read instead of a push; but XREAD BLOCK returns as soon
 * as there is data, and under load one read brings many entries. Every edge reads the whole stream
 * with plain XREAD (no consumer group: groups share entries out among readers, edges each need all).
 *
 * ## Ordering and consistency
 * One connection, one MULTI per write, so Redis applies writes in the order the feed produced them.
 * A batch's MULTI holds its XADD(s), the HSET of each symbol's latest value into `last` and
 * `meta.offset`: state keys and stream never disagree, and an edge reads a snapshot (universe, last,
 * meta, id of the newest entry) in one MULTI and then XREADs after that id: nothing is missed or
 * applied twice between the two. Offsets are consecutive per quote (a batch entry carries its first
 * offset, each row its own), so an edge detects any gap and any repeat by arithmetic. Entry ids are
 * left to Redis (`*`): time-ordered ids also give edges their lag, and the stream is never deleted
 * (not even for a new epoch) so ids only grow and an edge reading "after id X" never misses one.
 *
 * ## Loss during a disconnect
 * ioredis's offline queue is off (it would grow without bound and replay blindly). While Redis is
 * unreachable, writes wait in a bounded pending buffer (default 200k quotes or 10 s). On reconnect the
 * publisher reads meta: if Redis still holds our stream (same epoch, and an offset at the end of what
 * was acknowledged or of a write in doubt), the pending writes are flushed and edges see no gap at all.
 * Otherwise (Redis restarted empty, failed over to a replica behind us, or the buffer overflowed) it
 * republishes the whole current state from the FeedStream (a reset entry) and continues; edges see the
 * reset and resynchronise (same epoch: only newer quotes are taken). Nothing is lost silently; during
 * the outage edges keep serving the last values and turn `stale` after 3 s.
 *
 * ## Memory and the bounded recovery window
 * The stream is capped with `XADD MAXLEN ~ maxLen` (default 2,000 entries) and a batch larger than
 * `maxQuotesPerEntry` (500) is written as several entries, so whatever the feed does, Redis holds at
 * most about maxLen × maxQuotesPerEntry × 100 bytes (measured: ~100 bytes per quote in a stream
 * entry), i.e. ≈ 100 MB, plus one value per symbol in `last` and `universe`. The recovery window
 * (how long an edge may be away and still resume without a reset) is maxLen / entries per second:
 * at the simulator's default 20 batches/s that is 100 s; a feed with batches over 500 quotes writes
 * more entries per second and shortens it (raise maxLen for such a feed, memory grows with it).
 * An edge that was away longer gets a snapshot reset, never a partial history. `~` lets Redis trim
 * whole internal nodes, which keeps XADD O(1).
 *
 * ## Cost
 * Each batch is encoded once (JSON rows, reused as the `last` values). Per quote the publisher spends
 * most of its time writing `last`: with it, one publisher process reaches ~250k quotes/s end to end
 * on a 2-vCPU machine (bench/broker-redis.mjs); without it ~420k. `last` is what lets a new edge
 * start from one consistent MULTI read, so it stays; the dedupe per batch makes it cheaper the more
 * often symbols repeat within a batch.
 *
 * ## Liveness
 * When nothing else was written for half a heartbeat period, a heartbeat entry (1 s) tells edges that
 * the ingest is alive and the market quiet; an edge that sees nothing for 3 s reports `stale`.
 */
import type { FeedStatus } from '../market/feed.js';
import type { SymbolInfo } from '../market/quote.js';
import { BrokerLink, type BrokerLogger } from './redis-connection.js';
import { brokerKeys, type BrokerKeys } from './redis-keys.js';
import { parseRedisUrl, redactRedisUrl } from './redis-url.js';
import { addFullState, addWrite, writeOffset, writeQuotes, type Write, type WriteLimits } from './redis-writes.js';
import type { SourceHealth, StreamQuote, StreamSink, StreamSnapshot } from './stream.js';

export interface RedisPublisherOptions {
  /** redis://[user:password@]host:port[/db] or rediss://... */
  readonly url: string;
  /** Key prefix (default 'tickstream'). */
  readonly prefix?: string;
  /**
   * The current state of the stream this publisher is a sink of, e.g. `() => feedStream.state.snapshot()`:
   * republished whenever Redis lost (or never had) what was written.
   */
  readonly snapshot: () => StreamSnapshot;
  /** XADD MAXLEN ~ (entries). Default 2000. */
  readonly maxLen?: number;
  /** Quotes per stream entry at most (bigger batches span several entries). Default 500. */
  readonly maxQuotesPerEntry?: number;
  /** Heartbeat period. Default 1000 ms. */
  readonly heartbeatMs?: number;
  /** Bound of the pending buffer while Redis is unreachable, in quotes. Default 200,000. */
  readonly maxPendingQuotes?: number;
  /** Bound of the pending buffer in age of its oldest write. Default 10,000 ms. */
  readonly maxPendingMs?: number;
  /** Cap of the reconnect backoff. Default 1000 ms. */
  readonly maxRetryDelayMs?: number;
  readonly logger?: BrokerLogger;
}

type Mode = 'down' | 'syncing' | 'live';

interface Sent {
  readonly write: Write;
  readonly at: number;
}

const RETRY_AFTER_ERROR_MS = 1000;
const STOP_DRAIN_MS = 2000;

function positiveInt(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (!Number.isSafeInteger(v) || v < 1) throw new RangeError(`RedisPublisher: ${name} must be a positive integer, got ${v}`);
  return v;
}

export class RedisPublisher implements StreamSink {
  readonly keys: BrokerKeys;
  /** Writes acknowledged by Redis. */
  batchesPublished = 0;
  quotesPublished = 0;
  /** Whole-state writes (the first of each epoch included). */
  republishes = 0;
  /** Times the pending buffer overflowed (a republish followed). */
  overflows = 0;
  /** Writes Redis refused or lost in flight (each episode is logged once). */
  writeErrors = 0;

  private readonly options: RedisPublisherOptions;
  private readonly limits: WriteLimits;
  private readonly heartbeatMs: number;
  private readonly maxPendingQuotes: number;
  private readonly maxPendingMs: number;
  private readonly logger: BrokerLogger | undefined;
  private link: BrokerLink | null = null;
  private mode: Mode = 'down';
  /** The stream position handed to this sink (what Redis should reach). */
  private epoch = '';
  private offset = 0;
  /** What Redis acknowledged. */
  private ackedEpoch = '';
  private ackedOffset = -1;
  /** Writes not sent yet (Redis unreachable); bounded. */
  private pending: Write[] = [];
  private pendingQuotes = 0;
  private pendingSince = 0;
  /** Writes sent and not acknowledged, oldest first (acks arrive in order on one connection). */
  private inflight: Sent[] = [];
  private inflightQuotes = 0;
  /** The next write must be the whole state (Redis lost ours, the buffer overflowed, or a reset came). */
  private needRepublish = true;
  private generation = 0;
  private lastSentAt = 0;
  private heartbeat: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private drained: (() => void) | null = null;
  /** Redis refuses writes (logged once until one succeeds again). */
  private failing = false;
  private stopped = false;

  constructor(options: RedisPublisherOptions) {
    parseRedisUrl(options.url); // a bad URL fails here, with a BrokerUrlError, not later in start()
    this.options = options;
    this.keys = brokerKeys(options.prefix);
    this.limits = {
      maxLen: positiveInt('maxLen', options.maxLen, 2000),
      maxQuotesPerEntry: positiveInt('maxQuotesPerEntry', options.maxQuotesPerEntry, 500),
    };
    this.heartbeatMs = positiveInt('heartbeatMs', options.heartbeatMs, 1000);
    this.maxPendingQuotes = positiveInt('maxPendingQuotes', options.maxPendingQuotes, 200_000);
    this.maxPendingMs = positiveInt('maxPendingMs', options.maxPendingMs, 10_000);
    this.logger = options.logger;
  }

  /** Connects (in the background: resolves at once, retries until Redis answers). */
  async start(): Promise<void> {
    if (this.link !== null) throw new Error('RedisPublisher already started');
    this.link = new BrokerLink(
      { url: this.options.url, role: 'publisher', logger: this.logger, maxRetryDelayMs: this.options.maxRetryDelayMs },
      { ready: () => void this.resync(), down: () => this.lost() },
    );
    this.heartbeat = setInterval(() => this.tick(), this.heartbeatMs);
    this.heartbeat.unref();
  }

  /** Waits (bounded) for the writes in flight, then quits. Writes still pending are reported and dropped. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.inflight.length > 0 && this.link?.ready) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((resolve) => (this.drained = resolve)),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, STOP_DRAIN_MS))),
      ]);
      clearTimeout(timer);
    }
    const unsent = this.pendingQuotes + this.inflightQuotes;
    if (unsent > 0) this.logger?.warn({ quotes: unsent }, 'broker publisher stopped with quotes not published');
    await this.link?.close();
  }

  /** The broker URL without credentials, for logs. */
  describe(): string {
    return redactRedisUrl(this.options.url);
  }

  /** Running totals for metrics (batches as handed by the FeedStream; reconnects of the connection). */
  counters(): { quotes: number; batches: number; reconnects: number; republishes: number } {
    return { quotes: this.quotesPublished, batches: this.batchesPublished, reconnects: this.link?.reconnects ?? 0, republishes: this.republishes };
  }

  health(): SourceHealth {
    const details = {
      broker: redactRedisUrl(this.options.url),
      prefix: this.keys.prefix,
      // Where Redis acknowledged the stream to be complete.
      epoch: this.ackedEpoch,
      offset: Math.max(0, this.ackedOffset),
      reconnects: this.link?.reconnects ?? 0,
      batchesPublished: this.batchesPublished,
      quotesPublished: this.quotesPublished,
      republishes: this.republishes,
      overflows: this.overflows,
      writeErrors: this.writeErrors,
      pendingQuotes: this.pendingQuotes,
      inflightQuotes: this.inflightQuotes,
    };
    if (this.mode === 'live') return { ready: true, details };
    const reason = this.link?.unreachableReason() ?? (this.link === null ? 'publisher not started' : 'resynchronising with the broker');
    return { ready: false, reason, details };
  }

  // --- StreamSink ---------------------------------------------------------------------------

  reset(snapshot: StreamSnapshot): void {
    if (this.stopped) return;
    this.epoch = snapshot.epoch;
    this.offset = snapshot.offset;
    this.requireRepublish();
    if (this.mode === 'live') this.republish();
  }

  quotes(batch: readonly StreamQuote[]): void {
    if (batch.length === 0) return;
    this.offset = batch[batch.length - 1]!.offset;
    this.submit({ kind: 'batch', epoch: this.epoch, quotes: batch, last: this.offset });
  }

  universe(added: readonly SymbolInfo[], removed: readonly string[]): void {
    this.submit({ kind: 'universe', epoch: this.epoch, offset: this.offset, added, removed });
  }

  status(status: FeedStatus): void {
    this.submit({ kind: 'status', epoch: this.epoch, offset: this.offset, status });
  }

  // --- writing ------------------------------------------------------------------------------

  private submit(w: Write): void {
    if (this.stopped || this.needRepublish) return; // a republish will carry it (it reads the state then)
    if (this.mode === 'live') {
      this.send([w]);
      return;
    }
    if (this.pending.length === 0) this.pendingSince = Date.now();
    this.pending.push(w);
    this.pendingQuotes += writeQuotes(w);
    if (this.pendingQuotes > this.maxPendingQuotes || Date.now() - this.pendingSince > this.maxPendingMs) {
      this.overflows++;
      this.logger?.warn(
        { quotes: this.pendingQuotes, ms: Date.now() - this.pendingSince },
        'broker publisher buffer full; dropping it, the whole state will be republished',
      );
      this.requireRepublish();
    }
  }

  private requireRepublish(): void {
    this.needRepublish = true;
    this.clearPending();
  }

  private clearPending(): void {
    this.pending = [];
    this.pendingQuotes = 0;
    this.pendingSince = 0;
  }

  /** Sends writes, one MULTI each, pipelined on the connection. */
  private send(writes: readonly Write[]): void {
    const redis = this.link!.redis;
    const now = Date.now();
    for (const w of writes) {
      const multi = redis.multi();
      addWrite(multi, this.keys, this.limits, w, now);
      this.track(w, now, multi.exec());
    }
  }

  private republish(): void {
    const snapshot = this.options.snapshot();
    this.epoch = snapshot.epoch;
    this.offset = snapshot.offset;
    this.needRepublish = false;
    this.clearPending();
    const now = Date.now();
    const multi = this.link!.redis.multi();
    addFullState(multi, this.keys, this.limits, snapshot, now);
    this.track({ kind: 'reset', epoch: snapshot.epoch, offset: snapshot.offset }, now, multi.exec());
  }

  private track(w: Write, now: number, done: Promise<[error: Error | null, result: unknown][] | null>): void {
    const sent: Sent = { write: w, at: now };
    this.inflight.push(sent);
    this.inflightQuotes += writeQuotes(w);
    this.lastSentAt = now;
    const generation = this.generation;
    done.then(
      (results) => {
        const failed = results === null ? new Error('transaction discarded') : results.find(([err]) => err !== null)?.[0];
        if (failed) this.failed(generation, failed);
        else this.acked(generation, sent);
      },
      (err: Error) => this.failed(generation, err),
    );
  }

  private acked(generation: number, sent: Sent): void {
    if (generation !== this.generation || this.inflight[0] !== sent) return;
    this.inflight.shift();
    this.failing = false;
    const w = sent.write;
    this.inflightQuotes -= writeQuotes(w);
    this.ackedEpoch = w.epoch;
    this.ackedOffset = writeOffset(w);
    if (w.kind === 'batch') {
      this.batchesPublished++;
      this.quotesPublished += w.quotes.length;
    } else if (w.kind === 'reset') {
      this.republishes++;
    }
    if (this.inflight.length === 0) this.drained?.();
  }

  /**
   * A write failed (connection lost, or Redis refused it). Everything in flight is in doubt: it goes
   * back in front of the pending writes, and the next resync finds out from meta what Redis holds.
   */
  private failed(generation: number, err: Error, connectionLost = false): void {
    if (generation !== this.generation) return; // already handled for this connection
    this.generation++;
    this.writeErrors++;
    const doubt = this.inflight.map((s) => s.write).filter((w) => w.kind !== 'heartbeat');
    this.inflight = [];
    this.inflightQuotes = 0;
    this.drained?.();
    if (this.stopped) return;
    // A lost connection is reported by the link (the writes in flight fail with it); a refusal is not.
    const refused = !connectionLost && this.link?.ready === true;
    if (refused && !this.failing) this.logger?.warn({ error: err.message }, 'broker refused a write; retrying every second');
    if (refused) this.failing = true;
    this.mode = 'down';
    if (doubt.some((w) => w.kind === 'reset')) this.requireRepublish();
    else if (!this.needRepublish && doubt.length > 0) {
      if (this.pending.length === 0) this.pendingSince = Date.now();
      this.pending = [...doubt, ...this.pending];
      this.pendingQuotes = this.pending.reduce((n, w) => n + writeQuotes(w), 0);
    }
    // Refused while the connection stays up (e.g. OOM): try again later; else 'ready' will resync.
    if (this.link?.ready) this.scheduleResync();
  }

  private lost(): void {
    if (this.mode !== 'down') this.failed(this.generation, new Error('connection lost'), true);
  }

  private scheduleResync(): void {
    if (this.retryTimer || this.stopped) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.resync();
    }, RETRY_AFTER_ERROR_MS);
    this.retryTimer.unref();
  }

  /** After (re)connecting: flush the pending writes if Redis still holds our stream, else republish. */
  private async resync(): Promise<void> {
    if (this.stopped || this.mode !== 'down' || !this.link?.ready) return;
    this.mode = 'syncing';
    const generation = this.generation;
    try {
      let held: { epoch: string | null; offset: string | null } | null = null;
      if (!this.needRepublish) {
        const [epoch, offset] = await this.link.redis.hmget(this.keys.meta, 'epoch', 'offset');
        held = { epoch: epoch ?? null, offset: offset ?? null };
      }
      if (generation !== this.generation || this.stopped) return;
      if (this.needRepublish || held === null || !this.dropWritten(held)) {
        if (!this.needRepublish) this.logger?.info({ epoch: this.epoch }, 'broker does not hold our stream any more; republishing the whole state');
        this.mode = 'live';
        this.republish();
        return;
      }
      const writes = this.pending;
      this.clearPending();
      this.mode = 'live';
      if (writes.length > 0) this.logger?.info({ writes: writes.length }, 'broker writable again; flushing buffered writes');
      this.send(writes);
    } catch (err) {
      if (generation === this.generation) this.failed(generation, err instanceof Error ? err : new Error(String(err)));
      if (this.mode === 'syncing') this.mode = 'down';
    }
  }

  /**
   * Given what meta says Redis holds, drops the pending writes Redis already has (writes that were in
   * flight when the connection dropped may or may not have been applied). False if Redis holds
   * something else than a prefix of our writes: then only a republish is correct.
   */
  private dropWritten(held: { epoch: string | null; offset: string | null }): boolean {
    if (held.epoch !== this.ackedEpoch || held.offset === null || held.epoch !== this.epoch) return false;
    const offset = Number(held.offset);
    if (offset === this.ackedOffset) return true;
    const i = this.pending.findIndex((w) => w.kind === 'batch' && w.last === offset);
    if (i === -1) return false;
    const applied = this.pending.splice(0, i + 1);
    this.pendingQuotes -= applied.reduce((n, w) => n + writeQuotes(w), 0);
    this.ackedOffset = offset;
    return true;
  }

  /** Every heartbeat period: a heartbeat when idle, and a watchdog on writes Redis does not acknowledge. */
  private tick(): void {
    if (this.mode !== 'live' || this.stopped) return;
    const now = Date.now();
    const oldest = this.inflight[0];
    // Twice the pending bound: a flush after a reconnect may briefly put the whole buffer in flight.
    if (oldest !== undefined && (now - oldest.at > this.maxPendingMs || this.inflightQuotes > 2 * this.maxPendingQuotes)) {
      // A half-open connection never fails a write: drop it so the in-flight writes are rejected and resynced.
      this.logger?.warn({ ms: now - oldest.at, quotes: this.inflightQuotes }, 'broker does not acknowledge writes; reconnecting');
      this.link?.redis.disconnect(true);
      return;
    }
    if (now - this.lastSentAt >= this.heartbeatMs / 2) {
      this.send([{ kind: 'heartbeat', epoch: this.epoch, offset: this.offset }]);
    }
  }
}
