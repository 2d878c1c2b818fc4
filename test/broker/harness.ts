/**
 * Pieces for the broker tests: a feed driven by hand (feed contract v2), a sink that records what an
 * edge delivers and checks the stream's promises on every call, a logger that keeps its lines, and
 * ingest / edge processes in miniature (FeedStream → RedisPublisher, RedisStreamSource → sink).
 */
import { EventEmitter } from 'node:events';
import type { FeedSink, FeedStatus, QuoteFeed } from '../../src/market/feed.js';
import type { Quote, SymbolInfo } from '../../src/market/quote.js';
import { FeedStream } from '../../src/broker/feed-stream.js';
import { RedisPublisher, type RedisPublisherOptions } from '../../src/broker/redis-publisher.js';
import { RedisStreamSource, type RedisStreamSourceOptions } from '../../src/broker/redis-source.js';
import { waitFor as pollUntil } from '../helpers/events.js';
import { StreamState } from '../../src/broker/stream-state.js';
import type { StreamQuote, StreamSink, StreamSnapshot } from '../../src/broker/stream.js';
import type { BrokerLogger } from '../../src/broker/redis-connection.js';

export function symbolInfo(symbol: string): SymbolInfo {
  // Only the fields every SymbolInfo keeps (the type is being slimmed down; no other field is relied on).
  return { symbol, name: `${symbol} Corp.`, exchange: 'NASDAQ', currency: 'USD', prevClose: 100 } as SymbolInfo;
}

/** A QuoteFeed driven by the test: each tick() is one batch, delivered synchronously. */
export class HandFeed implements QuoteFeed {
  readonly name = 'hand';
  private sink: FeedSink | null = null;
  private readonly seqs = new Map<string, number>();
  private symbols: string[];

  constructor(symbols: readonly string[]) {
    this.symbols = [...symbols];
  }

  start(sink: FeedSink): void {
    this.sink = sink;
    sink.universe(this.symbols.map(symbolInfo));
    sink.status({ state: 'up' });
  }

  async stop(): Promise<void> {
    this.sink = null;
  }

  /** One batch: the next quote of each symbol given (all symbols when none is given). */
  tick(...symbols: string[]): Quote[] {
    const batch = (symbols.length > 0 ? symbols : this.symbols).map((s) => this.next(s));
    this.sink?.quotes(batch);
    return batch;
  }

  /** One batch of `n` quotes over the symbols in turn (a symbol repeats within a big batch). */
  tickMany(n: number): void {
    const batch: Quote[] = [];
    for (let i = 0; i < n; i++) batch.push(this.next(this.symbols[i % this.symbols.length]!));
    this.sink?.quotes(batch);
  }

  add(symbol: string): void {
    this.symbols.push(symbol);
    this.sink?.universe([symbolInfo(symbol)]);
  }

  status(status: FeedStatus): void {
    this.sink?.status(status);
  }

  private next(symbol: string): Quote {
    const seq = (this.seqs.get(symbol) ?? 0) + 1;
    this.seqs.set(symbol, seq);
    const cents = 10_000 + ((seq * 37) % 500) - 250;
    const last = cents / 100;
    return {
      symbol,
      last,
      bid: (cents - 1) / 100,
      ask: (cents + 1) / 100,
      open: 100,
      high: Math.max(100, last),
      low: Math.min(100, last),
      prevClose: 100,
      change: (cents - 10_000) / 100,
      changePct: Math.round((cents - 10_000) * 100) / 10_000,
      volume: seq * 100,
      ts: 1_700_000_000_000 + seq,
      seq,
    };
  }
}

type Recorded =
  | { kind: 'reset'; snapshot: StreamSnapshot; at: number }
  | { kind: 'quotes'; batch: readonly StreamQuote[] }
  | { kind: 'universe'; added: readonly SymbolInfo[]; removed: readonly string[] }
  | { kind: 'status'; status: FeedStatus; at: number };

/**
 * What an edge's hub would see. Checks, on every call, the promises of the stream contract: reset
 * first; quotes contiguous by offset after the previous batch or reset; within an epoch no symbol's
 * seq repeats or goes back (a same-epoch reset may carry older quotes: like the hub, only newer
 * ones are taken). Broken promises are collected in `violations`.
 */
export class RecordingSink implements StreamSink {
  readonly state = new StreamState();
  readonly events: Recorded[] = [];
  readonly violations: string[] = [];
  /** Offsets delivered by quotes(), per epoch. */
  readonly delivered = new Map<string, number[]>();
  private readonly changed = new EventEmitter();

  get resets(): StreamSnapshot[] {
    return this.events.flatMap((e) => (e.kind === 'reset' ? [e.snapshot] : []));
  }

  get statuses(): FeedStatus[] {
    return this.events.flatMap((e) => (e.kind === 'status' ? [e.status] : []));
  }

  reset(snapshot: StreamSnapshot): void {
    this.events.push({ kind: 'reset', snapshot, at: performance.now() });
    this.state.reset(snapshot);
    this.changed.emit('change');
  }

  quotes(batch: readonly StreamQuote[]): void {
    if (this.resets.length === 0) this.violations.push('quotes before the first reset');
    for (const q of batch) {
      if (q.offset !== this.state.offset + 1) this.violations.push(`offset ${q.offset} after ${this.state.offset} (epoch ${this.state.epoch})`);
      const prev = this.state.last(q.symbol);
      if (prev !== undefined && q.seq <= prev.seq) this.violations.push(`${q.symbol} seq ${q.seq} after ${prev.seq} (epoch ${this.state.epoch})`);
      this.state.applyQuote(q);
      this.state.offset = q.offset;
      let list = this.delivered.get(this.state.epoch);
      if (list === undefined) this.delivered.set(this.state.epoch, (list = []));
      list.push(q.offset);
    }
    this.events.push({ kind: 'quotes', batch });
    this.changed.emit('change');
  }

  universe(added: readonly SymbolInfo[], removed: readonly string[]): void {
    if (this.resets.length === 0) this.violations.push('universe before the first reset');
    this.state.applyUniverse(added, removed);
    this.events.push({ kind: 'universe', added, removed });
    this.changed.emit('change');
  }

  status(status: FeedStatus): void {
    if (this.resets.length === 0) this.violations.push('status before the first reset');
    this.state.status = status;
    this.events.push({ kind: 'status', status, at: performance.now() });
    this.changed.emit('change');
  }

  /** Resolves once `predicate` holds (checked now and after every call to the sink). */
  until(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
    if (predicate()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.changed.off('change', check);
        reject(new Error(`timed out after ${timeoutMs} ms waiting until ${what} (edge at ${this.state.epoch}:${this.state.offset}, status ${JSON.stringify(this.state.status)})`));
      }, timeoutMs);
      const check = (): void => {
        if (!predicate()) return;
        clearTimeout(timer);
        this.changed.off('change', check);
        resolve();
      };
      this.changed.on('change', check);
    });
  }
}

/** Polls `predicate` (every 10 ms) until it holds: a bounded wait for a condition with no event to await. */
export async function waitFor(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
  await pollUntil(what, async () => (predicate() ? true : undefined), timeoutMs, 10);
}

/** Keeps log lines so tests can check what was said, and how often. */
export class TestLogger implements BrokerLogger {
  readonly lines: { level: string; msg: string; obj: object }[] = [];
  info(obj: object, msg = ''): void {
    this.lines.push({ level: 'info', msg, obj });
  }
  warn(obj: object, msg = ''): void {
    this.lines.push({ level: 'warn', msg, obj });
  }
  count(msg: string): number {
    return this.lines.filter((l) => l.msg === msg).length;
  }
}

/**
 * Every quote a FeedStream handed out, by offset, so a test can say what the stream's state was at
 * any offset (quotes only: tests that use it change no universe meanwhile).
 */
export class Tape implements StreamSink {
  epoch = '';
  private start = 0;
  private base: readonly StreamQuote[] = [];
  private readonly quotesByOffset: StreamQuote[] = [];

  reset(snapshot: StreamSnapshot): void {
    this.epoch = snapshot.epoch;
    this.start = snapshot.offset;
    this.base = snapshot.quotes;
    this.quotesByOffset.length = 0;
  }

  quotes(batch: readonly StreamQuote[]): void {
    this.quotesByOffset.push(...batch);
  }

  universe(): void {}
  status(): void {}

  /** The latest quote of every symbol at `offset`, sorted by symbol. */
  stateAt(offset: number): StreamQuote[] {
    if (offset < this.start || offset > this.start + this.quotesByOffset.length) throw new Error(`offset ${offset} is not on the tape`);
    const latest = new Map<string, StreamQuote>();
    for (const q of this.base) latest.set(q.symbol, q);
    for (const q of this.quotesByOffset.slice(0, offset - this.start)) latest.set(q.symbol, q);
    return [...latest.values()].sort((a, b) => a.symbol.localeCompare(b.symbol));
  }
}

export interface Ingest {
  readonly feed: HandFeed;
  readonly stream: FeedStream;
  readonly publisher: RedisPublisher;
  readonly logger: TestLogger;
  /** What the FeedStream handed out since the ingest started. */
  readonly tape: Tape;
  stop(): Promise<void>;
}

/** An ingest process: HandFeed → FeedStream → RedisPublisher (and a Tape). */
export async function startIngest(url: string, symbols: readonly string[], options: Partial<RedisPublisherOptions> = {}): Promise<Ingest> {
  const feed = new HandFeed(symbols);
  const stream = new FeedStream(feed);
  const logger = new TestLogger();
  const tape = new Tape();
  const publisher = new RedisPublisher({ url, snapshot: () => stream.state.snapshot(), logger, ...options });
  await publisher.start();
  stream.addSink(tape);
  await stream.start(publisher);
  return {
    feed,
    stream,
    publisher,
    logger,
    tape,
    stop: async () => {
      await stream.stop();
      await publisher.stop();
    },
  };
}

export interface Edge {
  readonly source: RedisStreamSource;
  readonly sink: RecordingSink;
  readonly logger: TestLogger;
  readonly reconnects: { count: number };
  /** Resolves once the edge holds exactly the ingest's state (same epoch, offset, quotes, universe). */
  caughtUp(ingest: Ingest, timeoutMs?: number): Promise<void>;
}

export async function startEdge(url: string, options: Partial<RedisStreamSourceOptions> = {}): Promise<Edge> {
  const sink = new RecordingSink();
  const logger = new TestLogger();
  const reconnects = { count: 0 };
  const source = new RedisStreamSource({ url, logger, metrics: { brokerReconnect: () => reconnects.count++ }, ...options });
  await source.start(sink);
  return {
    source,
    sink,
    logger,
    reconnects,
    caughtUp: (ingest, timeoutMs = 5000) =>
      sink.until(
        () => sink.state.epoch === ingest.stream.state.epoch && sink.state.offset === ingest.stream.state.offset && sink.resets.length > 0,
        timeoutMs,
        `the edge reaches the ingest at ${ingest.stream.state.epoch}:${ingest.stream.state.offset}`,
      ),
  };
}

/** The parts of a state two processes must agree on, in a form deepEqual compares readably. */
export function sortedQuotes(quotes: readonly StreamQuote[]): StreamQuote[] {
  return [...quotes].sort((a, b) => a.symbol.localeCompare(b.symbol));
}

export function comparable(state: StreamState): { epoch: string; offset: number; symbols: string[]; quotes: StreamQuote[] } {
  return {
    epoch: state.epoch,
    offset: state.offset,
    symbols: state.universe().map((i) => i.symbol).sort(),
    quotes: state.quotes().sort((a, b) => a.symbol.localeCompare(b.symbol)),
  };
}
