import { EventEmitter } from 'node:events';
import type { FeedSink, FeedStatus, Quote, QuoteFeed, SymbolInfo } from '../../src/market/index.js';
import { QuoteHub, type HubConnection, type HubMetrics, type HubOptions, type PreparedFrame } from '../../src/hub/index.js';
import { FeedStream } from '../../src/broker/feed-stream.js';
import { HUB_FRAMES } from '../../src/app/hub-frames.js';
import { PreparedMessage } from '../../src/transport/index.js';

/** A QuoteFeed (contract v2) driven by hand: `push()` delivers a batch synchronously, like a real feed. */
export class FakeFeed implements QuoteFeed {
  readonly name = 'fake';
  private readonly infos: SymbolInfo[];
  private readonly latest = new Map<string, Quote>();
  private sink: FeedSink | null = null;
  stopped = false;

  constructor(symbols: readonly string[]) {
    this.infos = symbols.map((symbol) => ({ symbol, name: symbol + ' Inc.', exchange: 'NASDAQ', currency: 'USD', prevClose: 100 }));
    for (const symbol of symbols) this.latest.set(symbol, makeQuote(symbol, 100, 1, 1_000));
  }

  /** The latest quote of every symbol, as this feed last reported it. */
  snapshot(): Quote[] {
    return [...this.latest.values()];
  }
  start(sink: FeedSink): void {
    this.sink = sink;
    sink.universe(this.infos);
    sink.quotes(this.snapshot());
    sink.status({ state: 'up' });
  }
  async stop(): Promise<void> {
    this.stopped = true;
    this.sink = null;
  }

  /** Builds the next tick of `symbol` (seq + 1) at price `last`. */
  next(symbol: string, last: number): Quote {
    const prev = this.latest.get(symbol);
    const q = makeQuote(symbol, last, (prev?.seq ?? 0) + 1, Date.now());
    this.latest.set(symbol, q);
    return q;
  }

  /** Delivers one batch; `ticks` are [symbol, price] pairs. Returns the quotes sent. */
  push(...ticks: [string, number][]): Quote[] {
    const quotes = ticks.map(([symbol, last]) => this.next(symbol, last));
    if (this.sink === null) throw new Error('feed not started');
    this.sink.quotes(quotes);
    return quotes;
  }

  /** Delivers raw quotes as they are (for stale-seq tests). */
  pushRaw(quotes: Quote[]): void {
    this.sink?.quotes(quotes);
  }

  /** Reports a status change. */
  setStatus(status: FeedStatus): void {
    this.sink?.status(status);
  }
}

/** A hub over a FeedStream of `feed`, with the app's frames (as the server builds it). */
export function hubOver(feed: QuoteFeed, options: Partial<HubOptions> = {}, metrics?: HubMetrics): QuoteHub {
  return new QuoteHub(new FeedStream(feed), { frames: HUB_FRAMES, ...options }, metrics);
}

export function makeQuote(symbol: string, last: number, seq: number, ts: number): Quote {
  return {
    symbol,
    last,
    bid: Math.round((last - 0.01) * 100) / 100,
    ask: Math.round((last + 0.01) * 100) / 100,
    open: 100,
    high: Math.max(100, last),
    low: Math.min(100, last),
    prevClose: 100,
    change: Math.round((last - 100) * 100) / 100,
    changePct: Math.round((last - 100) * 100) / 100,
    volume: seq * 100,
    ts,
    seq,
  };
}

export type Sent = { kind: 'text'; json: string } | { kind: 'prepared'; json: string; frame: PreparedFrame };

/** A connection that records what the hub writes; bufferedAmount is set by the test. */
export class FakeConnection extends EventEmitter implements HubConnection {
  readonly url: string;
  bufferedAmount = 0;
  readonly sent: Sent[] = [];
  readonly closeCalls: { code: number | undefined; reason: string | undefined }[] = [];
  terminated = false;

  constructor(url = '/') {
    super();
    this.url = url;
  }

  send(data: string): void {
    this.sent.push({ kind: 'text', json: data });
  }
  sendPrepared(frame: PreparedFrame): void {
    this.sent.push({ kind: 'prepared', json: (frame as PreparedMessage).payload.toString('utf8'), frame });
  }
  close(code?: number, reason?: string): void {
    this.closeCalls.push({ code, reason });
  }
  terminate(): void {
    this.terminated = true;
  }

  /** Client → server text message. */
  receive(value: unknown): void {
    this.emit('message', Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)), true);
  }

  /** Every message written so far, parsed. */
  messages(): any[] {
    return this.sent.map((s) => JSON.parse(s.json));
  }

  /** Messages written since the last call (drains the record). */
  take(): any[] {
    const out = this.messages();
    this.sent.length = 0;
    return out;
  }

  /** Prepared frames written since index `from`. */
  frames(): PreparedFrame[] {
    return this.sent.flatMap((s) => (s.kind === 'prepared' ? [s.frame] : []));
  }
}

/** Symbols and prices of a quotes/snapshot message, for compact assertions. */
export function prices(msg: { quotes: { symbol: string; last: number }[] }): [string, number][] {
  return msg.quotes.map((q) => [q.symbol, q.last]);
}
