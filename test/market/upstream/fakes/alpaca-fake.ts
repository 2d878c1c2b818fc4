/**
 * A fake of Alpaca's market data stream v2 (stocks), written from its documentation: every server
 * message is a JSON array; `[{"T":"success","msg":"connected"}]` on connect; the auth message
 * `{"action":"auth","key","secret"}` is answered by `authenticated` or error 402 (and the connection
 * is closed); subscribing is additive and acknowledged with the whole set; trades `{"T":"t",...}` and
 * quotes `{"T":"q",...}` go to the connections subscribed to their symbol.
 */
import { FakeUpstream, type FakeClient } from './fake-upstream.js';

export const ALPACA_TEST_KEY = 'alpaca-key-id';
export const ALPACA_TEST_SECRET = 'alpaca-secret-key';

interface Session {
  authenticated: boolean;
  trades: Set<string>;
  quotes: Set<string>;
}

export class AlpacaFake {
  readonly upstream: FakeUpstream;
  readonly sessions = new Map<FakeClient, Session>();
  /** 'silent': never answer the auth message (the client's auth timeout must act). */
  authMode: 'check' | 'silent' = 'check';
  /** Refuse a second simultaneous connection with error 406, as Alpaca does on most plans. */
  oneConnection = false;
  /** Most symbols per channel before error 405 (the free IEX plan: 30). */
  symbolLimit = Infinity;

  private constructor(upstream: FakeUpstream) {
    this.upstream = upstream;
  }

  static async start(): Promise<AlpacaFake> {
    let fake: AlpacaFake | undefined;
    const upstream = await FakeUpstream.start({
      onConnect: (client) => fake!.connected(client),
      onText: (client, text) => fake!.received(client, text),
    });
    fake = new AlpacaFake(upstream);
    return fake;
  }

  subscribedTrades(): Set<string> {
    const client = this.upstream.open.at(-1);
    return client === undefined ? new Set() : (this.sessions.get(client)?.trades ?? new Set());
  }

  trade(symbol: string, price: number, size: number, t = new Date().toISOString()): void {
    this.toSubscribers(symbol, 'trades', { T: 't', i: Math.floor(Math.random() * 1e9), S: symbol, x: 'V', p: price, s: size, t: nanos(t), c: ['@'], z: 'C' });
  }

  quote(symbol: string, bid: number, ask: number, t = new Date().toISOString()): void {
    this.toSubscribers(symbol, 'quotes', { T: 'q', S: symbol, bx: 'V', bp: bid, bs: 1, ax: 'V', ap: ask, as: 2, t: nanos(t), c: ['R'], z: 'C' });
  }

  raw(text: string): void {
    this.upstream.broadcast(text);
  }

  close(): Promise<void> {
    return this.upstream.close();
  }

  private connected(client: FakeClient): void {
    this.sessions.set(client, { authenticated: false, trades: new Set(), quotes: new Set() });
    if (this.oneConnection && this.upstream.open.length > 1) {
      this.upstream.send(client, [{ T: 'error', code: 406, msg: 'connection limit exceeded' }]);
      client.ws.close(1008, 'connection limit exceeded');
      return;
    }
    this.upstream.send(client, [{ T: 'success', msg: 'connected' }]);
  }

  private received(client: FakeClient, text: string): void {
    const session = this.sessions.get(client)!;
    let message: { action?: unknown; key?: unknown; secret?: unknown; trades?: unknown; quotes?: unknown };
    try {
      message = JSON.parse(text) as typeof message;
    } catch {
      this.upstream.send(client, [{ T: 'error', code: 400, msg: 'invalid syntax' }]);
      return;
    }
    if (message.action === 'auth') {
      if (this.authMode === 'silent') return;
      if (message.key === ALPACA_TEST_KEY && message.secret === ALPACA_TEST_SECRET) {
        session.authenticated = true;
        this.upstream.send(client, [{ T: 'success', msg: 'authenticated' }]);
      } else {
        this.upstream.send(client, [{ T: 'error', code: 402, msg: 'auth failed' }]);
        client.ws.close(1008, 'auth failed');
      }
      return;
    }
    if (message.action === 'subscribe') {
      if (!session.authenticated) {
        this.upstream.send(client, [{ T: 'error', code: 401, msg: 'not authenticated' }]);
        return;
      }
      const trades = Array.isArray(message.trades) ? (message.trades as string[]) : [];
      const quotes = Array.isArray(message.quotes) ? (message.quotes as string[]) : [];
      if (new Set([...session.trades, ...trades]).size > this.symbolLimit) {
        this.upstream.send(client, [{ T: 'error', code: 405, msg: 'symbol limit exceeded' }]);
        return;
      }
      for (const s of trades) session.trades.add(s);
      for (const s of quotes) session.quotes.add(s);
      this.upstream.send(client, [{ T: 'subscription', trades: [...session.trades], quotes: [...session.quotes], bars: [], updatedBars: [], dailyBars: [], statuses: [], lulds: [], corrections: [...session.trades], cancelErrors: [...session.trades] }]);
    }
  }

  private toSubscribers(symbol: string, channel: 'trades' | 'quotes', entry: object): void {
    for (const client of this.upstream.open) {
      const session = this.sessions.get(client);
      if (session?.[channel].has(symbol)) this.upstream.send(client, [entry]);
    }
  }
}

/** Alpaca stamps with nanoseconds: 2021-02-22T15:51:45.335689322Z. */
function nanos(iso: string): string {
  return iso.replace(/\.(\d{3})Z$/, '.$1689322Z');
}
