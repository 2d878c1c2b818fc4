/**
 * Bars through Redis: so that an edge that starts (or restarts) in the middle of the day serves the
 * same charts as one that has run since the open.
 *
 * Edges build bars from the stream they read, like every process does (StreamState); what they
 * cannot build is what happened before they started. So the ingest saves its bars to Redis once a
 * second, incrementally, and an edge loads them with its snapshot:
 *
 *   {prefix}:bars:{epoch}:{tf}:{symbol}  list of closed bars, oldest first, 48 bytes each
 *                                        (t, o, h, l, c, v as float64 LE), trimmed to the ring size
 *   {prefix}:bars:{epoch}:open           hash symbol -> seq, volume, then the bar in progress of
 *                                        each timeframe (t = NaN when none), float64 LE
 *
 * Keys carry the epoch: a new epoch (the ingest restarted) starts new keys, and old ones expire after
 * a day without writes. Each second the writer pushes the bars closed since its previous flush and
 * rewrites the bars in progress, in one MULTI; a failed flush is retried whole at the next one. If
 * Redis lost the keys (restarted empty), everything is written again.
 *
 * An edge restores these bars, then folds in the snapshot's quotes and the stream that follows; a
 * quote whose seq the saved bars already hold is skipped (BarBook.apply), so nothing counts twice.
 * The one approximation: the ticks between the ingest's last flush and the edge's snapshot (under a
 * second) reach the edge's bars as the symbol's latest value only, so a bar in progress at that
 * moment may miss an intermediate high or low. Volumes stay exact (they are cumulative).
 */
import type { Redis } from 'ioredis';
import { TIMEFRAMES, TIMEFRAME_CAPACITY, type BarBook, type BarsSnapshot, type SymbolBarsSnapshot, type Timeframe } from '../market/bars/index.js';
import { BrokerLink, type BrokerLogger } from './redis-connection.js';

const BAR_BYTES = 48;
const FIELDS = 6;
const KEY_TTL_S = 24 * 3600;
const FLUSH_EVERY_MS = 1000;

export function barsListKey(prefix: string, epoch: string, tf: Timeframe, symbol: string): string {
  return `${prefix}:bars:${epoch}:${tf}:${symbol}`;
}

export function barsOpenKey(prefix: string, epoch: string): string {
  return `${prefix}:bars:${epoch}:open`;
}

export interface RedisBarsWriterOptions {
  readonly url: string;
  readonly prefix: string;
  /** The ingest's stream: its epoch, universe and bars. */
  readonly state: () => { readonly epoch: string; readonly bars: BarBook | null; symbols(): Iterable<string> };
  readonly flushEveryMs?: number;
  readonly logger?: BrokerLogger;
}

/** The ingest's side: saves the bars of its FeedStream's state to Redis once a second. */
export class RedisBarsWriter {
  private readonly options: RedisBarsWriterOptions;
  private link: BrokerLink | null = null;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  /** Per symbol and timeframe: start of the newest bar pushed as closed. */
  private flushed = new Map<string, number[]>();
  private epoch = '';
  private failures = 0;
  /** Flushes done (for tests and /metrics). */
  flushes = 0;

  constructor(options: RedisBarsWriterOptions) {
    this.options = options;
  }

  start(): void {
    this.link = new BrokerLink({ url: this.options.url, role: 'bars', logger: undefined }, { ready: () => {}, down: () => {} });
    this.timer = setInterval(() => {
      if (this.running === null) this.running = this.flush().finally(() => (this.running = null));
    }, this.options.flushEveryMs ?? FLUSH_EVERY_MS);
    this.timer.unref();
  }

  /** Resolves once connected to Redis, or after `timeoutMs` (the writer keeps retrying either way). */
  waitReady(timeoutMs = 5000): Promise<void> {
    const redis = this.link?.redis;
    if (redis === undefined || redis.status === 'ready') return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      function done(): void {
        clearTimeout(timer);
        redis!.off('ready', done);
        resolve();
      }
      redis.once('ready', done);
    });
  }

  async stop(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    await this.running;
    if (this.link !== null) {
      // A last flush, so edges starting after the ingest stopped still see the whole day.
      await this.flush();
      await this.link.close();
      this.link = null;
    }
  }

  /** Writes what changed since the previous flush; resolves whether or not Redis took it. */
  async flush(): Promise<void> {
    const state = this.options.state();
    const book = state.bars;
    const redis = this.link?.redis;
    if (book === null || redis === undefined || redis.status !== 'ready' || state.epoch === '') return;
    if (state.epoch !== this.epoch) {
      this.epoch = state.epoch;
      this.flushed = new Map();
    }
    const { prefix } = this.options;
    const openKey = barsOpenKey(prefix, state.epoch);
    const multi = redis.multi();
    multi.exists(openKey);
    const advanced = new Map<string, number[]>();
    for (const symbol of state.symbols()) {
      const done = this.flushed.get(symbol) ?? TIMEFRAMES.map(() => -Infinity);
      const next = [...done];
      const open = new Float64Array(2 + TIMEFRAMES.length * FIELDS).fill(Number.NaN);
      open[0] = book.seq(symbol);
      open[1] = book.volume(symbol);
      TIMEFRAMES.forEach((tf, k) => {
        const fresh = book.newerThan(symbol, tf, done[k]!);
        const bars = fresh.length / FIELDS;
        if (bars === 0) return;
        // All but the newest are closed: a later bar exists, so no tick will change them any more.
        if (bars > 1) {
          const key = barsListKey(prefix, state.epoch, tf, symbol);
          multi.rpush(key, ...chunks(fresh.subarray(0, (bars - 1) * FIELDS)));
          multi.ltrim(key, -TIMEFRAME_CAPACITY[tf], -1);
          multi.expire(key, KEY_TTL_S);
          next[k] = fresh[(bars - 2) * FIELDS]!;
        }
        open.set(fresh.subarray((bars - 1) * FIELDS), 2 + k * FIELDS);
      });
      multi.hset(openKey, symbol, toBuffer(open));
      advanced.set(symbol, next);
    }
    multi.expire(openKey, KEY_TTL_S);
    try {
      const results = await multi.exec();
      if (results === null) throw new Error('bars transaction discarded');
      const failed = results.find(([err]) => err !== null);
      if (failed?.[0]) throw failed[0];
      const existed = results[0]![1] === 1;
      if (!existed && this.flushes > 0 && this.flushed.size > 0) {
        // Redis lost our keys (restarted empty): the lists lack what was pushed before. Start over.
        this.flushed = new Map();
        this.options.logger?.warn({ epoch: state.epoch }, 'bars were missing from Redis; writing them again');
        return;
      }
      for (const [symbol, next] of advanced) this.flushed.set(symbol, next);
      this.flushes++;
      if (this.failures > 0) this.options.logger?.info({ failures: this.failures }, 'bars written to Redis again');
      this.failures = 0;
    } catch (err) {
      if (this.failures++ === 0) this.options.logger?.warn({ err: err instanceof Error ? err.message : String(err) }, 'writing bars to Redis failed; retrying every second');
    }
  }
}

/**
 * The edge's side: the saved bars of `symbols` in `epoch`, ready for StreamState.reset (through
 * StreamSnapshot.bars). Symbols with nothing saved are left out.
 */
export async function readRedisBars(redis: Redis, prefix: string, epoch: string, symbols: readonly string[]): Promise<BarsSnapshot> {
  const pipeline = redis.pipeline();
  pipeline.hgetallBuffer(barsOpenKey(prefix, epoch));
  for (const symbol of symbols) for (const tf of TIMEFRAMES) pipeline.lrangeBuffer(barsListKey(prefix, epoch, tf, symbol), 0, -1);
  const results = (await pipeline.exec()) ?? [];
  const failed = results.find(([err]) => err !== null);
  if (failed?.[0]) throw failed[0];
  const open = (results[0]?.[1] ?? {}) as Record<string, Buffer>;
  const out: Record<string, SymbolBarsSnapshot> = {};
  symbols.forEach((symbol, i) => {
    const header = open[symbol];
    if (header === undefined || header.length !== (2 + TIMEFRAMES.length * FIELDS) * 8) return;
    const saved = fromBuffer(header);
    const bars: Partial<Record<Timeframe, Float64Array>> = {};
    TIMEFRAMES.forEach((tf, k) => {
      const closed = (results[1 + i * TIMEFRAMES.length + k]?.[1] ?? []) as Buffer[];
      const inProgress = saved.subarray(2 + k * FIELDS, 2 + (k + 1) * FIELDS);
      const withOpen = !Number.isNaN(inProgress[0]!);
      const flat = new Float64Array((closed.length + (withOpen ? 1 : 0)) * FIELDS);
      let n = 0;
      for (const item of closed) {
        if (item.length !== BAR_BYTES) continue;
        const bar = fromBuffer(item);
        if (n > 0 && bar[0]! <= flat[(n - 1) * FIELDS]!) continue; // never out of order, whatever Redis holds
        flat.set(bar, n * FIELDS);
        n++;
      }
      if (withOpen && (n === 0 || inProgress[0]! > flat[(n - 1) * FIELDS]!)) {
        flat.set(inProgress, n * FIELDS);
        n++;
      }
      if (n > 0) bars[tf] = flat.subarray(0, n * FIELDS);
    });
    out[symbol] = { seq: saved[0]!, volume: saved[1]!, bars };
  });
  return { symbols: out };
}

/** One 48-byte Buffer per bar (RPUSH takes them as list items). */
function chunks(flat: Float64Array): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < flat.length; i += FIELDS) out.push(toBuffer(flat.subarray(i, i + FIELDS)));
  return out;
}

function toBuffer(values: Float64Array): Buffer {
  const buf = Buffer.allocUnsafe(values.length * 8);
  for (let i = 0; i < values.length; i++) buf.writeDoubleLE(values[i]!, i * 8);
  return buf;
}

function fromBuffer(buf: Buffer): Float64Array {
  const out = new Float64Array(buf.length / 8);
  for (let i = 0; i < out.length; i++) out[i] = buf.readDoubleLE(i * 8);
  return out;
}
