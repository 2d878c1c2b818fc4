/**
 * A SocketFactory whose connections the test drives: it hands the client server messages and
 * failures, and sees what the client sent and how it closed. No network, no timers of its own.
 */
import type { ClientSocket, SocketFactory, SocketHandlers, SocketRequest } from '../../src/client/index.js';
import type { ConnectFailure } from '../../src/client/retry.js';
import type { ServerMessage, WireQuote } from '../../src/wire/index.js';

export class FakeConnection {
  readonly sent: Array<Record<string, unknown>> = [];
  closed: { code: number; reason: string; abort: boolean } | undefined;

  constructor(
    readonly request: SocketRequest,
    private readonly handlers: SocketHandlers,
  ) {}

  /** The query of the URL the client connected to. */
  get query(): URLSearchParams {
    return new URL(this.request.url).searchParams;
  }

  open(): this {
    this.handlers.onOpen();
    return this;
  }

  deliver(...messages: ServerMessage[]): this {
    for (const message of messages) this.handlers.onMessage(JSON.stringify(message));
    return this;
  }

  fail(failure: ConnectFailure): void {
    this.handlers.onClose(failure);
  }

  /** The last command the client sent (parsed). */
  lastSent(): Record<string, unknown> {
    const last = this.sent[this.sent.length - 1];
    if (last === undefined) throw new Error('the client sent nothing');
    return last;
  }
}

export class FakeNetwork {
  readonly connections: FakeConnection[] = [];
  private waiters: Array<(c: FakeConnection) => void> = [];

  readonly factory: SocketFactory = (request, handlers) => {
    const conn = new FakeConnection(request, handlers);
    this.connections.push(conn);
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake(conn);
    const socket: ClientSocket = {
      send: (text) => conn.sent.push(JSON.parse(text) as Record<string, unknown>),
      close: (code, reason, abort = false) => {
        conn.closed = { code, reason, abort };
      },
    };
    return socket;
  };

  /** The connection number `index` (0 = first), waiting for it if needed (bounded). */
  connection(index: number, timeoutMs = 3_000): Promise<FakeConnection> {
    const existing = this.connections[index];
    if (existing !== undefined) return Promise.resolve(existing);
    return new Promise<FakeConnection>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for connection #${index}`)), timeoutMs);
      const check = (): void => {
        const conn = this.connections[index];
        if (conn === undefined) {
          this.waiters.push(check);
          return;
        }
        clearTimeout(timer);
        resolve(conn);
      };
      this.waiters.push(check);
    });
  }
}

export function welcome(fields: Partial<Omit<Extract<ServerMessage, { type: 'welcome' }>, 'type'>> = {}): ServerMessage {
  return { type: 'welcome', server: 'tickstream', version: 'test', epoch: 'E1', feed: { state: 'up' }, interval: 0, heartbeat: 0, symbols: ['AAPL', 'MSFT'], ...fields };
}

export function quote(symbol: string, seq: number): WireQuote {
  const last = 100 + seq / 100;
  return { symbol, last, bid: last - 0.01, ask: last + 0.01, open: 100, high: last, low: 100, prevClose: 100, change: last - 100, changePct: 0, volume: seq * 100, ts: 1_700_000_000_000 + seq, seq };
}

export function quotes(offset: number, ...list: Array<[string, number]>): ServerMessage {
  return { type: 'quotes', quotes: list.map(([s, n]) => quote(s, n)), offset };
}

export function snapshot(offset: number, list: Array<[string, number]>, extra: { recovered?: boolean; id?: number } = {}): ServerMessage {
  return { type: 'snapshot', quotes: list.map(([s, n]) => quote(s, n)), offset, ...extra };
}

/** Rejects after `ms` naming `what`, unless `promise` settles first. */
export function within<T>(promise: Promise<T>, what: string, ms = 3_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
