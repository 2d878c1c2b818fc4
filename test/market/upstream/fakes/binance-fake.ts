/**
 * A fake of Binance's spot market streams, written from its documentation: the combined endpoint
 * `/stream?streams=a/b` wraps events as `{"stream","data"}`; `{"method":"SUBSCRIBE"|"UNSUBSCRIBE",
 * "params":[...],"id":N}` is answered by `{"result":null,"id":N}`; decimals are strings; the
 * all-market mini ticker `!miniTicker@arr` pushes the listed symbols periodically. It enforces the
 * documented limits as Binance does: a connection that sends more than 5 messages (pings and pongs
 * included) within a second, or holds more than `maxStreams` streams, is recorded as a violation and
 * disconnected.
 */
import { FakeUpstream, type FakeClient } from './fake-upstream.js';

export interface Listed {
  readonly symbol: string;
  /** 24 h open: the prevClose the feed should report. */
  readonly open: string;
  readonly close: string;
}

export class BinanceFake {
  readonly upstream: FakeUpstream;
  readonly streams = new Map<FakeClient, Set<string>>();
  /** Limit breaches seen (each disconnected the offender). */
  readonly violations: string[] = [];
  /** SUBSCRIBE / UNSUBSCRIBE requests received, in order. */
  readonly requests: { client: FakeClient; method: string; params: string[]; id: unknown }[] = [];
  listed: Listed[] = [];
  maxStreams = 1024;
  private tradeIds = new Map<string, number>();
  private bookIds = new Map<string, number>();
  private tickerTimer: NodeJS.Timeout | undefined;

  private constructor(upstream: FakeUpstream) {
    this.upstream = upstream;
  }

  /** `tickerEveryMs`: how often the all-market mini ticker is pushed (Binance: every second). */
  static async start(options: { tickerEveryMs?: number } = {}): Promise<BinanceFake> {
    let fake: BinanceFake | undefined;
    const upstream = await FakeUpstream.start({
      onConnect: (client) => fake!.connected(client),
      onText: (client, text) => fake!.received(client, text),
    });
    fake = new BinanceFake(upstream);
    fake.tickerTimer = setInterval(() => fake!.pushTickers(), options.tickerEveryMs ?? 100);
    return fake;
  }

  /** Streams of the newest open connection (or of every open connection, merged). */
  allStreams(): Set<string> {
    const out = new Set<string>();
    for (const client of this.upstream.open) for (const s of this.streams.get(client) ?? []) out.add(s);
    return out;
  }

  trade(symbol: string, price: string, quantity: string, options: { tradeId?: number } = {}): void {
    const id = options.tradeId ?? (this.tradeIds.get(symbol) ?? 1000) + 1;
    this.tradeIds.set(symbol, Math.max(id, this.tradeIds.get(symbol) ?? 0));
    const now = Date.now();
    this.toStream(`${symbol.toLowerCase()}@trade`, { e: 'trade', E: now, s: symbol, t: id, p: price, q: quantity, T: now - 1, m: true, M: true });
  }

  book(symbol: string, bid: string, ask: string): void {
    const id = (this.bookIds.get(symbol) ?? 5000) + 1;
    this.bookIds.set(symbol, id);
    this.toStream(`${symbol.toLowerCase()}@bookTicker`, { u: id, s: symbol, b: bid, B: '1.00000000', a: ask, A: '2.00000000' });
  }

  /** A server ping with a payload; the client must answer with a pong carrying the same payload. */
  ping(payload: string): void {
    for (const client of this.upstream.open) client.ws.ping(Buffer.from(payload));
  }

  serverShutdown(): void {
    this.upstream.broadcast({ e: 'serverShutdown', E: Date.now() });
  }

  raw(text: string): void {
    this.upstream.broadcast(text);
  }

  async close(): Promise<void> {
    clearInterval(this.tickerTimer);
    await this.upstream.close();
  }

  private connected(client: FakeClient): void {
    const named = client.url.searchParams.get('streams');
    const set = new Set(named === null || named === '' ? [] : named.split('/'));
    this.streams.set(client, set);
    this.checkStreams(client);
  }

  private received(client: FakeClient, text: string): void {
    // Every frame the client sends counts, pings and pongs included.
    if (FakeUpstream.peakRate(client) > 5) this.violate(client, `more than 5 messages in a second on connection ${this.upstream.clients.indexOf(client) + 1}`);
    let request: { method?: unknown; params?: unknown; id?: unknown };
    try {
      request = JSON.parse(text) as typeof request;
    } catch {
      this.upstream.send(client, { code: 3, msg: 'Invalid JSON: expected value at line 1 column 1' });
      return;
    }
    const params = Array.isArray(request.params) ? request.params.filter((p): p is string => typeof p === 'string') : [];
    if (request.method !== 'SUBSCRIBE' && request.method !== 'UNSUBSCRIBE') {
      this.upstream.send(client, { code: 2, msg: `Invalid request: unknown variant ${String(request.method)}`, id: request.id });
      return;
    }
    this.requests.push({ client, method: request.method, params, id: request.id });
    const set = this.streams.get(client)!;
    for (const p of params) {
      if (request.method === 'SUBSCRIBE') set.add(p);
      else set.delete(p);
    }
    this.upstream.send(client, { result: null, id: request.id });
    this.checkStreams(client);
  }

  private checkStreams(client: FakeClient): void {
    const count = this.streams.get(client)!.size;
    if (count > this.maxStreams) this.violate(client, `${count} streams on one connection (max ${this.maxStreams})`);
  }

  private violate(client: FakeClient, what: string): void {
    this.violations.push(what);
    client.ws.close(1008, 'limit exceeded');
  }

  private pushTickers(): void {
    if (this.listed.length === 0) return;
    const now = Date.now();
    const data = this.listed.map((l) => ({ e: '24hrMiniTicker', E: now, s: l.symbol, c: l.close, o: l.open, h: l.close, l: l.open, v: '1000.00000000', q: '50000.00000000' }));
    this.toStream('!miniTicker@arr', data);
  }

  private toStream(stream: string, data: unknown): void {
    for (const client of this.upstream.open) {
      if (this.streams.get(client)?.has(stream)) this.upstream.send(client, { stream, data });
    }
  }
}
