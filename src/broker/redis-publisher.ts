/**
 * Redis as the broker between one `ingest` process (runs the feed) and any number of `edge`
 * processes (serve clients). This file is the ingest's end; redis-source.ts is the edges' end.
 *
 * ## Keys (prefix `tickstream` by default, so several markets can share one Redis)
 *   {prefix}:stream    Redis Stream, one entry per quote BATCH (never per quote), universe change,
 *                      status change, heartbeat, or reset (entry format: redis-codec.ts)
 *   {prefix}:last      hash symbol → latest quote (with its offset), complete up to meta.lastOffset
 *   {prefix}:universe  hash symbol → SymbolInfo JSON
 *   {prefix}:meta      hash v (format), epoch, offset (the stream's), lastOffset (the `last` hash's),
 *                      status, at (ms of the ingest's last write)
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
 * One connection, one MULTI per write, so Redis applies writes in the order the feed produced them,
 * and each write's XADD(s) and the state keys they imply (`meta.offset`; universe, status) change
 * together. Offsets are consecutive per quote (a batch entry carries its first offset, each row its
 * own), so an edge detects any gap and any repeat by arithmetic. Entry ids are left to Redis (`*`):
 * time-ordered ids also give edges their lag, and the stream is never deleted (not even for a new
 * epoch) so ids only grow and an edge reading "after id X" never misses one.
 *
 * ## `last` is written at intervals; an edge's snapshot replays the stream after it
 * Writing every symbol of every batch into `last` cost about half of the publisher's time. Instead
 * the publisher keeps the latest quote of each symbol and writes those quoted since the previous
 * write of `last` at most every `lastEveryMs` (100 ms), in the MULTI of the write of that moment,
 * with `meta.lastOffset` = the stream offset `last` is then complete up to. It also writes it as soon
 * as maxLen / 4 entries were added since (so what `last` lacks is always well inside the stream), on
 * its own when the market went quiet (a timer, within lastEveryMs of the last quote), right after the
 * buffered writes of a reconnect, at a republish (the full state: lastOffset = offset) and at stop().
 * A symbol removed from the universe is removed from `last` by that write and never written back.
 *
 * An edge reads, in one MULTI, universe, `last`, meta and the newest `snapshotPage` (100) entries; if
 * those do not reach back to lastOffset + 1 it pages further back with XREVRANGE from the oldest id
 * read (entries never change, so later pages are what the MULTI would have read). It applies the
 * quotes of (lastOffset, offset] in stream order on top of `last` (a newer seq wins, as StreamState
 * does: `last` may already hold newer values after a resend), and symbol removals of that range,
 * then resets its sink with the state at meta.offset, every symbol's latest value, and XREADs after
 * the newest entry of the MULTI: nothing is missed or applied twice between the two, and the sink's
 * contract (stream.ts) is unchanged. If the stream no longer holds (lastOffset, offset] (trimmed, or a
 * malformed entry in it), the edge logs it, waits 100 ms and reads the snapshot again; the
 * publisher's next write of `last` moves lastOffset past the hole (redis-snapshot.ts).
 *
 * ## Loss during a disconnect
 * ioredis's offline queue is off (it would grow without bound and replay blindly). While Redis is
 * unreachable, writes wait in a bounded pending buffer (default 200k quotes or 10 s). On reconnect the
 * publisher reads meta: if Redis still holds our stream (same epoch, and an offset at the end of what
 * was acknowledged or of a write in doubt), the pending writes are flushed and edges see no gap at all.
 * Otherwise (Redis restarted empty, failed over to a replica behind us, or the buffer overflowed) it
 * republishes the whole current state from the FeedStream (a reset entry) and continues; edges see the
 * reset and resynchronise (same epoch: only newer quotes are taken). Nothing is lost silently; during
 * the outage edges keep serving the last values and turn `stale` after 3 s. A write in doubt that
 * carried `last` values is resent with them, in order, so `last` never goes back to an older state
 * once everything is applied; `last` is then written at once, as the buffered writes widened what
 * edges must replay.
 *
 * ## Memory and the bounded recovery window
 * The stream is capped with `XADD MAXLEN ~ maxLen` (default 2,000 entries) and a batch larger than
 * `maxQuotesPerEntry` (500) is written as several entries, so whatever the feed does, Redis holds at
 * most about maxLen × maxQuotesPerEntry × 100 bytes (measured: ~100 bytes per quote in a stream
 * entry), i.e. ≈ 100 MB, plus one value per symbol in `last` and `universe`. The recovery window
 * (how long an edge may be away and still resume without a reset) is maxLen / entries per second:
 * 100 s at 20 batches/s of up to 500 quotes; 20 s for the simulator at 50,000 ticks/s over 2,000
 * symbols (2,500-quote batches every 50 ms: 100 entries/s); 2 s at 500,000 quotes/s (1,000 entries/s).
 * A feed that fast needs a larger maxLen for edges to ride out a blip (memory grows with it). An edge
 * that was away longer gets a snapshot reset, never a partial history. `~` lets Redis trim whole
 * internal nodes, which keeps XADD O(1).
 * What a snapshot replays is what `last` lacks: at most lastEveryMs of quotes (100 ms: 5,000 quotes
 * at 50,000/s, 50,000 at 500,000/s, ~10 and ~100 entries) and never more than maxLen / 4 entries, far
 * inside the stream; the publisher holds one quote per symbol for it (bounded by the universe).
 *
 * ## Cost
 * A batch is encoded once, when handed over, straight into bytes (redis-rows.ts: the JSON rows
 * JSON.stringify would write, at about half its cost, and a Buffer ioredis sends as it is); only the
 * symbols quoted since the previous write of `last` are encoded again for it, once per lastEveryMs. Edges read the rows back with a reader for exactly that form (JSON.parse for anything else),
 * at about half the cost of JSON.parse and its garbage. Measured with bench/broker-redis.mjs on a
 * 2-vCPU machine, one ingest → Redis → one edge sharing those 2 vCPUs, the edge keeping up: about
 * 680k quotes/s with 10,000 symbols in batches of 1,000, 870k with 2,000 symbols in batches of 2,500
 * (the simulator's shape), 830k with 500 symbols; per quote the publisher spends 0.9-1.4 µs, the edge
 * ~0.9 µs, Redis ~0.3 µs (the machine's speed drifts by up to a third between sessions). With `last`
 * written per batch and JSON.stringify / JSON.parse rows it was 250-285k, the publisher ~4 µs/quote.
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
import { addFullState, addWrite, batchWrite, writeEntries, writeOffset, writeQuotes, type LastFlush, type Write, type WriteLimits } from './redis-writes.js';
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
  /**
   * `last` is written at most this often (with the write of that moment), with the latest quote of
   * each symbol quoted since; edges replay the stream after it. Default 100 ms.
   */
  readonly lastEveryMs?: number;
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
  private readonly lastEveryMs: number;
  /** `last` is also written once this many stream entries were added since it was (maxLen / 4). */
  private readonly lastEveryEntries: number;
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
  private ackedLastOffset = -1;
  /**
   * Latest quote of each symbol (since the last republish; removed symbols deleted: bounded by the
   * universe). Those with an offset above flushedUpTo are what `last` lacks. One long-lived map:
   * updating an entry costs a third of adding one to a fresh map per flush (measured).
   */
  private readonly latest = new Map<string, StreamQuote>();
  /** Offset the latest write of `last` (sent, not necessarily acknowledged) makes it complete up to. */
  private flushedUpTo = 0;
  private flushedAt = 0;
  private entriesSinceFlush = 0;
  private lastTimer: NodeJS.Timeout | null = null;
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
    this.lastEveryMs = positiveInt('lastEveryMs', options.lastEveryMs, 100);
    this.lastEveryEntries = Math.max(1, Math.floor(this.limits.maxLen / 4));
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

  /**
   * Writes `last` up to date, waits (bounded) for the writes in flight, then quits. Writes still
   * pending are reported and dropped.
   */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.lastTimer) clearTimeout(this.lastTimer);
    if (this.mode === 'live' && this.offset > this.flushedUpTo) this.writeLast();
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
      // ... and where its `last` hash is (edges replay the stream from there).
      lastOffset: Math.max(0, this.ackedLastOffset),
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
    if (this.stopped || this.needRepublish) return; // a republish will carry it (it reads the state then)
    for (let i = 0; i < batch.length; i++) this.latest.set(batch[i]!.symbol, batch[i]!);
    this.submit(batchWrite(this.epoch, batch, this.limits));
    this.armLastTimer();
  }

  universe(added: readonly SymbolInfo[], removed: readonly string[]): void {
    // The write removes them from `last`; a later write of `last` must not put them back.
    for (const symbol of removed) this.latest.delete(symbol);
    this.submit({ kind: 'universe', epoch: this.epoch, offset: this.offset, added, removed });
  }

  status(status: FeedStatus): void {
    this.submit({ kind: 'status', epoch: this.epoch, offset: this.offset, status });
  }

  // --- writing ------------------------------------------------------------------------------

  private submit(w: Write): void {
    if (this.stopped || this.needRepublish) return; // a republish will carry it (it reads the state then)
    if (this.mode === 'live') {
      const now = Date.now();
      // `last` goes with the newest write only: `latest` reaches up to this.offset.
      this.sendOne(w.kind !== 'heartbeat' && this.lastDue(now) ? { ...w, flush: this.takeFlush(now) } : w, now);
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

  /** Sends a write as one MULTI, pipelined on the connection. */
  private sendOne(w: Write, now: number): void {
    const multi = this.link!.redis.multi();
    addWrite(multi, this.keys, this.limits, w, now);
    this.entriesSinceFlush += writeEntries(w);
    this.track(w, now, multi.exec());
  }

  // --- the `last` hash ----------------------------------------------------------------------

  /** Whether `last` should be written now: it lags, for lastEveryMs already or by many entries. */
  private lastDue(now: number): boolean {
    return this.offset > this.flushedUpTo && (now - this.flushedAt >= this.lastEveryMs || this.entriesSinceFlush >= this.lastEveryEntries);
  }

  /** The quotes `last` lacks, to be written with the newest write; `last` is then complete up to this.offset. */
  private takeFlush(now: number): LastFlush {
    const quotes: StreamQuote[] = [];
    for (const q of this.latest.values()) if (q.offset > this.flushedUpTo) quotes.push(q);
    const flush = { quotes, upTo: this.offset };
    this.flushedUpTo = this.offset;
    this.flushedAt = now;
    this.entriesSinceFlush = 0;
    return flush;
  }

  /** `last` on its own, when no write carried it in time (the market went quiet), after a resync, at stop. */
  private writeLast(): void {
    const now = Date.now();
    this.sendOne({ kind: 'last', epoch: this.epoch, offset: this.offset, flush: this.takeFlush(now) }, now);
  }

  /** Makes sure `last` is written within lastEveryMs of a quote even if no other write follows. */
  private armLastTimer(): void {
    if (this.lastTimer !== null || this.stopped) return;
    this.lastTimer = setTimeout(() => {
      this.lastTimer = null;
      if (this.mode !== 'live' || this.needRepublish || this.stopped) return; // resync or republish will
      if (this.lastDue(Date.now())) this.writeLast();
      else if (this.offset > this.flushedUpTo) this.armLastTimer(); // a write carried it meanwhile; newer quotes wait
    }, Math.max(1, this.flushedAt + this.lastEveryMs - Date.now()));
    this.lastTimer.unref();
  }

  private republish(): void {
    const snapshot = this.options.snapshot();
    this.epoch = snapshot.epoch;
    this.offset = snapshot.offset;
    this.needRepublish = false;
    this.clearPending();
    const now = Date.now();
    // The full state writes `last` complete at its offset.
    this.latest.clear();
    this.flushedUpTo = snapshot.offset;
    this.flushedAt = now;
    this.entriesSinceFlush = 0;
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
    if (w.kind === 'reset') this.ackedLastOffset = w.offset;
    else if (w.flush !== undefined) this.ackedLastOffset = w.flush.upTo;
    if (w.kind === 'batch') {
      this.batchesPublished++;
      this.quotesPublished += writeQuotes(w);
    } else if (w.kind === 'reset') {
      this.republishes++;
    }
    if (this.inflight.length === 0) this.drained?.();
  }

  /**
   * A write failed (connection lost, or Redis refused it). Everything in flight is in doubt: it goes
   * back in front of the pending writes (with the `last` values it carries), and the next resync
   * finds out from meta what Redis holds.
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
      const now = Date.now();
      for (const w of writes) this.sendOne(w, now);
      // Then `last`, at once: the replay window edges need grew while Redis was away.
      if (this.offset > this.flushedUpTo) this.writeLast();
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
      this.sendOne({ kind: 'heartbeat', epoch: this.epoch, offset: this.offset }, now);
    }
  }
}
