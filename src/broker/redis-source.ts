import type { FeedStatus } from '../market/feed.js';
import { decodeEntry, decodeState, type BrokerEntry, type StoredState } from './redis-codec.js';
import { BrokerLink, type BrokerLogger } from './redis-connection.js';
import { brokerKeys, type BrokerKeys } from './redis-keys.js';
import { readRedisBars } from './redis-bars.js';
import { SnapshotReplay, type StreamItems } from './redis-snapshot.js';
import { parseRedisUrl, redactRedisUrl } from './redis-url.js';
import type { SourceHealth, StreamSink, StreamSnapshot, StreamSource } from './stream.js';

/**
 * An edge's end of the Redis broker (design: redis-publisher.ts). It reads a consistent snapshot in one
 * MULTI (universe, last values, meta, and the newest stream entries), completes `last` with the quotes
 * the stream holds after meta.lastOffset (paging further back if needed: redis-snapshot.ts), resets
 * the sink with the state at meta.offset, then follows the stream with XREAD BLOCK after the newest
 * entry on a connection of its own, so the snapshot reads never wait behind a blocked XREAD and
 * stop() can cut the blocked one at once.
 *
 * Entries are checked by offset: a batch continuing ours is delivered, one already seen is skipped
 * (only its unseen tail is delivered), and a gap, another epoch or a reset entry makes it read the
 * snapshot again (the broker trimmed or lost data, or the ingest restarted). After a broker blip it
 * continues from the last id it read: nothing lost, nothing twice.
 */

/** Optional figures for the process's metrics. */
export interface BrokerMetrics {
  brokerReconnect(): void;
  /** Age of the newest entry read, by the broker's clock (entry id), in ms. */
  brokerLag?(ms: number): void;
}

export interface RedisStreamSourceOptions {
  /** redis://[user:password@]host:port[/db] or rediss://... */
  readonly url: string;
  /** Key prefix (default 'tickstream'), the same as the ingest's. */
  readonly prefix?: string;
  /** No entry (not even a heartbeat) for this long → status 'stale'. Default 3000 ms. */
  readonly staleAfterMs?: number;
  /** XREAD BLOCK timeout. Default 1000 ms. */
  readonly blockMs?: number;
  /** Entries per XREAD. Default 50 (an entry holds up to 500 quotes). */
  readonly readCount?: number;
  /**
   * Stream entries read with the snapshot, and per further page back, to replay what `last` lacks
   * (the quotes since the publisher last wrote it: lastEveryMs' worth). Default 100.
   */
  readonly snapshotPage?: number;
  /** Cap of the reconnect backoff. Default 1000 ms. */
  readonly maxRetryDelayMs?: number;
  readonly logger?: BrokerLogger;
  readonly metrics?: BrokerMetrics;
}

/** Pause after an error that is not a lost connection, so a persistent one does not spin. */
const ERROR_PAUSE_MS = 1000;
/** Pause before reading the snapshot again when the stream no longer held its replay window. */
const SNAPSHOT_RETRY_MS = 100;
/** A replay longer than this many entries is given up (and the snapshot read again). */
const MAX_REPLAY_ENTRIES = 100_000;
/** An XREAD BLOCK unanswered this long past its timeout means a dead connection. */
const XREAD_GRACE_MS = 2000;
const LOG_EVERY_MS = 10_000;

/** Stream ids compare as (ms, seq) pairs. */
function compareIds(a: string, b: string): number {
  const [am = 0, as = 0] = a.split('-').map(Number);
  const [bm = 0, bs = 0] = b.split('-').map(Number);
  return am !== bm ? am - bm : as - bs;
}

function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(1))} s`;
}

export class RedisStreamSource implements StreamSource {
  readonly name = 'redis';
  readonly keys: BrokerKeys;
  /** Stream entries read (of every kind). */
  entriesRead = 0;
  /** Entries that failed to decode (skipped). */
  malformedEntries = 0;
  /** Snapshot reads delivered as resets (the first included). */
  resyncs = 0;
  /** Quotes the snapshot reads took from the stream, on top of `last` (the ingest writes it at intervals). */
  replayedQuotes = 0;
  /** Snapshot reads given up because the stream no longer held what `last` lacked (read again). */
  incompleteSnapshots = 0;
  /** Quotes skipped because their offset had been delivered already. */
  duplicateQuotes = 0;
  /** Entries of an epoch other than the broker's current one (a second ingest writing?), skipped. */
  foreignEntries = 0;

  private readonly options: RedisStreamSourceOptions;
  private readonly staleAfterMs: number;
  private readonly blockMs: number;
  private readonly readCount: number;
  private readonly snapshotPage: number;
  private readonly logger: BrokerLogger | undefined;
  private cmd: BrokerLink | null = null;
  private reader: BrokerLink | null = null;
  private sink: StreamSink | null = null;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private stopped = false;
  private timer: NodeJS.Timeout | null = null;

  private epoch = '';
  private offset = 0;
  private lastId = '0-0';
  private haveSnapshot = false;
  private needSnapshot = true;
  /** Check after a reconnect that the stream was not recreated behind our last id. */
  private needProbe = false;
  /** Redis has no stream under our prefix yet: any entry means the ingest published. */
  private waitingForIngest = false;
  private ingestStatus: FeedStatus = { state: 'down', reason: 'waiting for the ingest' };
  private foreignEpoch: string | null = null;
  private stale = false;
  private lastDataAt = 0;
  private xreadSince = 0;
  private lagMs = 0;
  private problem: string | undefined;
  private lastLogAt = new Map<string, number>();

  constructor(options: RedisStreamSourceOptions) {
    parseRedisUrl(options.url); // a bad URL fails here, with a BrokerUrlError, not later in start()
    this.options = options;
    this.keys = brokerKeys(options.prefix);
    this.staleAfterMs = options.staleAfterMs ?? 3000;
    this.blockMs = options.blockMs ?? 1000;
    this.readCount = options.readCount ?? 50;
    this.snapshotPage = options.snapshotPage ?? 100;
    for (const [name, v] of [['staleAfterMs', this.staleAfterMs], ['blockMs', this.blockMs], ['readCount', this.readCount], ['snapshotPage', this.snapshotPage]] as const) {
      if (!Number.isSafeInteger(v) || v < 1) throw new RangeError(`RedisStreamSource: ${name} must be a positive integer, got ${v}`);
    }
    this.logger = options.logger;
  }

  /** Resolves at once, even with Redis down: the source keeps retrying and says so in health(). */
  async start(sink: StreamSink): Promise<void> {
    if (this.sink !== null) throw new Error('RedisStreamSource already started');
    this.sink = sink;
    const base = { url: this.options.url, maxRetryDelayMs: this.options.maxRetryDelayMs };
    const woken = { ready: () => this.wake?.(), down: () => undefined };
    this.cmd = new BrokerLink({ ...base, role: 'edge' }, woken);
    this.reader = new BrokerLink(
      { ...base, role: 'edge-reader', logger: this.logger },
      {
        ready: () => {
          if (this.reader!.reconnects > 0) {
            this.options.metrics?.brokerReconnect();
            this.needProbe = true;
          }
          this.wake?.();
        },
        down: () => undefined,
      },
    );
    const every = Math.max(50, Math.min(250, Math.floor(this.staleAfterMs / 4)));
    this.timer = setInterval(() => this.watch(), every);
    this.timer.unref();
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.wake?.();
    // disconnect(), not quit(): a QUIT would queue behind the blocked XREAD for up to blockMs.
    await this.reader?.close(false);
    await this.cmd?.close();
    await this.loop;
  }

  health(): SourceHealth {
    const details = {
      broker: redactRedisUrl(this.options.url),
      prefix: this.keys.prefix,
      epoch: this.epoch,
      offset: this.offset,
      reconnects: this.reader?.reconnects ?? 0,
      resyncs: this.resyncs,
      replayedQuotes: this.replayedQuotes,
      incompleteSnapshots: this.incompleteSnapshots,
      malformedEntries: this.malformedEntries,
      lagMs: this.lagMs,
      stale: this.stale,
    };
    const reason =
      this.reader === null || this.cmd === null
        ? 'not started'
        : (this.reader.unreachableReason() ??
          this.cmd.unreachableReason() ??
          this.problem ??
          (this.waitingForIngest || !this.haveSnapshot ? 'waiting for the ingest to publish the stream' : undefined));
    return reason === undefined ? { ready: true, details } : { ready: false, reason, details };
  }

  // --- the read loop ------------------------------------------------------------------------

  private async run(): Promise<void> {
    while (!this.stopped) {
      const cmd = this.cmd!;
      const reader = this.reader!;
      if (!cmd.ready || !reader.ready) {
        await this.pause(0);
        continue;
      }
      try {
        if (this.needSnapshot) await this.resync();
        else if (this.needProbe) await this.probe();
        else {
          this.xreadSince = Date.now();
          const reply = await reader.redis.xread('COUNT', this.readCount, 'BLOCK', this.blockMs, 'STREAMS', this.keys.stream, this.lastId);
          this.xreadSince = 0;
          if (this.stopped) break;
          if (reply !== null && reply[0] !== undefined) this.apply(reply[0][1]);
          else if (this.haveSnapshot && Date.now() - this.lastDataAt >= this.staleAfterMs) await this.probe();
        }
      } catch (err) {
        this.xreadSince = 0;
        if (this.stopped) break;
        // A lost connection fails the command in flight: the loop waits for 'ready'. Anything else
        // (a broken key, a bad snapshot, a throwing sink) is logged and retried after a pause.
        if (cmd.ready && reader.ready) {
          this.log('error', 'warn', { error: err instanceof Error ? err.message : String(err) }, 'broker read failed; retrying');
          await this.pause(ERROR_PAUSE_MS);
        }
      }
    }
  }

  /** Sleeps until a connection becomes ready or stop() (ms = 0), or for `ms`. */
  private pause(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = ms > 0 ? setTimeout(done, ms) : undefined;
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        this.wake = null;
        done();
      };
    });
  }

  /** Reads the snapshot (readSnapshot) and resets the sink with it. */
  private async resync(): Promise<void> {
    const read = await this.readSnapshot();
    if (read === null || this.stopped) return; // incomplete: read again
    const { snapshot, newestId } = read;
    this.lastId = newestId;
    this.lastDataAt = Date.now();
    this.needSnapshot = false;
    this.needProbe = false;
    if (snapshot === null) {
      if (!this.waitingForIngest) this.logger?.info({ prefix: this.keys.prefix }, 'no stream in the broker yet; waiting for the ingest');
      this.waitingForIngest = true;
      return;
    }
    this.waitingForIngest = false;
    const sameEpoch = this.haveSnapshot && snapshot.epoch === this.epoch;
    if (this.foreignEpoch === snapshot.epoch) this.foreignEpoch = null;
    this.epoch = snapshot.epoch;
    this.offset = sameEpoch ? Math.max(this.offset, snapshot.offset) : snapshot.offset;
    this.ingestStatus = snapshot.status;
    this.stale = false;
    this.haveSnapshot = true;
    this.resyncs++;
    this.logger?.info({ epoch: snapshot.epoch, offset: snapshot.offset, symbols: snapshot.universe.length }, 'broker snapshot read');
    this.sink!.reset(snapshot);
  }

  /**
   * Reads universe, last values, meta and the newest stream entries in one MULTI, then replays the
   * entries `last` lacks (reading further back if needed): the snapshot at meta.offset (null when no
   * ingest published yet), and the id of the newest entry, which the stream continues after. Null
   * (after a short pause) when the stream no longer held those entries: read it all again.
   */
  private async readSnapshot(): Promise<{ snapshot: StreamSnapshot | null; newestId: string } | null> {
    const k = this.keys;
    const cmd = this.cmd!.redis;
    const results = await cmd.multi().hgetall(k.universe).hgetall(k.last).hgetall(k.meta).xrevrange(k.stream, '+', '-', 'COUNT', this.snapshotPage).exec();
    if (this.stopped) return null;
    if (results === null) throw new Error('snapshot transaction discarded');
    const failed = results.find(([err]) => err !== null);
    if (failed?.[0]) throw failed[0];
    const [universe, last, meta, top] = results.map(([, value]) => value) as [Record<string, string>, Record<string, string>, Record<string, string>, StreamItems];
    const newestId = top[0]?.[0] ?? '0-0';
    let state: StoredState | null;
    try {
      state = decodeState({ universe, last, meta });
      this.problem = undefined;
    } catch (err) {
      this.problem = `unreadable snapshot: ${err instanceof Error ? err.message : String(err)}`;
      throw err;
    }
    if (state === null) return { snapshot: null, newestId };
    const replay = new SnapshotReplay(state);
    let page = top;
    // Entries never change: the pages read after the MULTI are what it would have read, as long as
    // the stream still holds them (a page shorter than asked for: we reached its oldest entry).
    while (!replay.add(page) && page.length === this.snapshotPage && replay.entriesRead < MAX_REPLAY_ENTRIES) {
      page = (await cmd.xrevrange(k.stream, `(${replay.oldestId!}`, '-', 'COUNT', this.snapshotPage)) as StreamItems;
      if (this.stopped) return null;
    }
    let snapshot: StreamSnapshot;
    try {
      snapshot = replay.snapshot();
      this.replayedQuotes += replay.replayed;
    } catch (err) {
      this.incompleteSnapshots++;
      this.log(
        'replay',
        'info',
        { lastOffset: state.lastOffset, offset: state.offset, entries: replay.entriesRead, error: err instanceof Error ? err.message : String(err) },
        'broker snapshot incomplete (the stream no longer holds what `last` lacks); reading it again',
      );
      await this.pause(SNAPSHOT_RETRY_MS);
      return null;
    }
    // The ingest's bars (redis-bars.ts): the day before this edge started. Without them (an ingest
    // of an older version, or a read that failed) the edge builds bars from the stream alone.
    try {
      const bars = await readRedisBars(cmd, k.prefix, snapshot.epoch, snapshot.universe.map((info) => info.symbol));
      if (this.stopped) return null;
      snapshot = { ...snapshot, bars };
    } catch (err) {
      this.log('bars', 'warn', { error: err instanceof Error ? err.message : String(err) }, 'could not read the bars from Redis; charts start from now');
    }
    return { snapshot, newestId };
  }

  /**
   * Whether the stream is still one XREAD can follow: after a reconnect, or a silence, the broker may
   * have been restarted and the stream recreated with ids below ours (another machine's clock).
   */
  private async probe(): Promise<void> {
    const results = await this.cmd!.redis.multi().hmget(this.keys.meta, 'epoch', 'offset').xrevrange(this.keys.stream, '+', '-', 'COUNT', 1).exec();
    this.needProbe = false;
    if (results === null || results.some(([err]) => err !== null)) return;
    const [epoch, offset] = results[0]![1] as (string | null)[];
    const top = (results[1]![1] as StreamItems)[0]?.[0];
    if (epoch === null || epoch === undefined || top === undefined) return; // nothing published (yet): keep waiting
    const behind = compareIds(top, this.lastId) < 0;
    const missed = compareIds(top, this.lastId) <= 0 && Number(offset) > this.offset;
    if (epoch !== this.epoch || behind || missed) this.needSnapshot = true;
  }

  private apply(items: StreamItems): void {
    const sink = this.sink!;
    for (const [id, fields] of items) {
      this.lastId = id;
      this.lastDataAt = Date.now();
      this.entriesRead++;
      let entry: BrokerEntry;
      try {
        entry = decodeEntry(fields);
      } catch (err) {
        this.malformedEntries++;
        this.log('malformed', 'warn', { id, error: err instanceof Error ? err.message : String(err), count: this.malformedEntries }, 'malformed broker entry skipped');
        continue;
      }
      if (this.waitingForIngest || entry.kind === 'reset') {
        this.needSnapshot = true;
        return; // the snapshot covers the rest of this reply
      }
      if (entry.epoch !== this.epoch) {
        if (entry.epoch === this.foreignEpoch) {
          this.foreignEntries++;
          this.log('foreign', 'warn', { epoch: entry.epoch, current: this.epoch }, 'broker entries of another epoch skipped (two ingests on one prefix?)');
          continue;
        }
        this.foreignEpoch = entry.epoch; // cleared by resync if it is the broker's current epoch
        this.needSnapshot = true;
        return;
      }
      if (entry.kind === 'batch') {
        const first = entry.offset;
        const last = first + entry.quotes.length - 1;
        if (last <= this.offset) {
          this.duplicateQuotes += entry.quotes.length;
          continue;
        }
        if (first > this.offset + 1) {
          this.needSnapshot = true; // a gap: trimmed, or lost by the broker
          return;
        }
        this.resume(sink);
        const fresh = first === this.offset + 1 ? entry.quotes : entry.quotes.slice(this.offset + 1 - first);
        this.duplicateQuotes += entry.quotes.length - fresh.length;
        this.offset = last;
        sink.quotes(fresh);
        continue;
      }
      if (entry.offset > this.offset) {
        this.needSnapshot = true; // written after quotes we never saw
        return;
      }
      if (entry.kind === 'status') {
        this.ingestStatus = entry.status;
        this.stale = false;
        sink.status(entry.status);
      } else {
        this.resume(sink);
        if (entry.kind === 'universe') sink.universe(entry.added, entry.removed);
      }
    }
    const newest = items[items.length - 1];
    if (newest !== undefined) {
      this.lagMs = Math.max(0, Date.now() - Number(newest[0].split('-')[0]));
      this.options.metrics?.brokerLag?.(this.lagMs);
    }
  }

  /** Data flows again after a silence: the ingest's own status replaces 'stale'. */
  private resume(sink: StreamSink): void {
    if (!this.stale) return;
    this.stale = false;
    sink.status(this.ingestStatus);
  }

  /** Timer: stale detection, and a watchdog on an XREAD a dead connection would never answer. */
  private watch(): void {
    const now = Date.now();
    if (this.xreadSince !== 0 && now - this.xreadSince > this.blockMs + XREAD_GRACE_MS) {
      this.logger?.warn({ ms: now - this.xreadSince }, 'broker read unanswered; reconnecting');
      this.xreadSince = 0;
      this.reader?.redis.disconnect(true);
    }
    if (!this.haveSnapshot || this.stale || this.stopped || now - this.lastDataAt < this.staleAfterMs) return;
    this.stale = true;
    const reason = this.reader?.ready
      ? `no data from ingest for ${seconds(this.staleAfterMs)}`
      : `broker unreachable for ${seconds(this.staleAfterMs)}`;
    this.sink!.status({ state: 'stale', reason });
  }

  /** Logs a kind of problem at most every 10 s (a broken entry repeated 20 times a second stays readable). */
  private log(kind: string, level: 'warn' | 'info', obj: object, msg: string): void {
    const now = Date.now();
    if (now - (this.lastLogAt.get(kind) ?? -Infinity) < LOG_EVERY_MS) return;
    this.lastLogAt.set(kind, now);
    this.logger?.[level](obj, msg);
  }
}
