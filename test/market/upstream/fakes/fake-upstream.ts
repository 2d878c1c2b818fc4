/**
 * The common part of the provider fakes: a `ws` WebSocketServer on 127.0.0.1 with an ephemeral port
 * that records every connection attempt, every message and control frame it receives (with its
 * arrival time), can refuse handshakes with an HTTP status, and can stall (stop sending and stop
 * answering pings) to imitate a hung upstream. Tests await conditions on what it recorded; nothing
 * here sleeps.
 */
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

export interface FakeClient {
  readonly ws: WebSocket;
  /** Path and query of the upgrade request. */
  readonly url: URL;
  /** Text messages received, with performance.now() at arrival. */
  readonly messages: { text: string; at: number }[];
  /** Every frame that counts against a provider's incoming-message limit: messages, pings and pongs. */
  readonly frames: { kind: 'message' | 'ping' | 'pong'; at: number; payload?: string }[];
  closed: boolean;
}

export class FakeUpstream {
  readonly server: WebSocketServer;
  readonly clients: FakeClient[] = [];
  /** Handshakes attempted, accepted or refused. */
  attempts = 0;
  /** Answer the next handshakes with this HTTP status instead of accepting them. */
  refuseWith: number | undefined;
  /** While true: nothing is sent and pings are not answered. */
  stalled = false;
  private waiters: (() => void)[] = [];
  private readonly onConnect: (client: FakeClient, request: IncomingMessage) => void;
  private readonly onText: (client: FakeClient, text: string) => void;

  private constructor(
    server: WebSocketServer,
    onConnect: (client: FakeClient, request: IncomingMessage) => void,
    onText: (client: FakeClient, text: string) => void,
  ) {
    this.server = server;
    this.onConnect = onConnect;
    this.onText = onText;
  }

  static async start(hooks: {
    /** An HTTP status to refuse this handshake with, or undefined to accept it. */
    verify?: (request: IncomingMessage) => number | undefined;
    onConnect?: (client: FakeClient, request: IncomingMessage) => void;
    onText?: (client: FakeClient, text: string) => void;
  }): Promise<FakeUpstream> {
    let fake: FakeUpstream | undefined;
    const server = new WebSocketServer({
      host: '127.0.0.1',
      port: 0,
      autoPong: false,
      verifyClient: (info, done) => {
        fake!.attempts++;
        fake!.notify();
        const status = fake!.refuseWith ?? hooks.verify?.(info.req);
        if (status !== undefined) done(false, status, 'Refused by the fake');
        else done(true);
      },
    });
    fake = new FakeUpstream(server, hooks.onConnect ?? (() => {}), hooks.onText ?? (() => {}));
    await new Promise<void>((resolve) => server.once('listening', resolve));
    server.on('connection', (ws, request) => fake!.accept(ws, request));
    return fake;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** ws://127.0.0.1:PORT + path. */
  url(path = '/'): string {
    return `ws://127.0.0.1:${this.port}${path}`;
  }

  /** Open connections. */
  get open(): FakeClient[] {
    return this.clients.filter((c) => !c.closed);
  }

  /** The most recent connection. */
  get last(): FakeClient {
    const client = this.clients.at(-1);
    if (client === undefined) throw new Error('no connection yet');
    return client;
  }

  send(client: FakeClient, message: unknown): void {
    if (this.stalled || client.closed) return;
    client.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  /** Sends to every open connection that `filter` accepts. */
  broadcast(message: unknown, filter: (client: FakeClient) => boolean = () => true): void {
    for (const client of this.open) if (filter(client)) this.send(client, message);
  }

  /** Drops every connection without a closing handshake (a network cut). */
  cut(): void {
    for (const client of this.open) client.ws.terminate();
  }

  /** Resolves once `predicate` holds (checked after every recorded event); rejects after `timeoutMs`. */
  until(predicate: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
    if (predicate()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (!predicate()) return;
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== check);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what} (attempts ${this.attempts}, connections ${this.clients.length})`));
      }, timeoutMs);
      this.waiters.push(check);
    });
  }

  async close(): Promise<void> {
    for (const client of this.clients) client.ws.terminate();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Most frames received by one connection within any `windowMs` (for rate limits). */
  static peakRate(client: FakeClient, windowMs = 1000): number {
    const times = client.frames.map((f) => f.at);
    let peak = 0;
    let start = 0;
    for (let end = 0; end < times.length; end++) {
      while (times[end]! - times[start]! >= windowMs) start++;
      peak = Math.max(peak, end - start + 1);
    }
    return peak;
  }

  notify(): void {
    for (const waiter of [...this.waiters]) waiter();
  }

  private accept(ws: WebSocket, request: IncomingMessage): void {
    const client: FakeClient = { ws, url: new URL(request.url ?? '/', 'ws://fake'), messages: [], frames: [], closed: false };
    this.clients.push(client);
    ws.on('message', (data, isBinary) => {
      const at = performance.now();
      const text = isBinary ? '' : data.toString();
      client.frames.push({ kind: 'message', at });
      client.messages.push({ text, at });
      this.onText(client, text);
      this.notify();
    });
    ws.on('ping', (payload) => {
      client.frames.push({ kind: 'ping', at: performance.now(), payload: payload.toString('hex') });
      if (!this.stalled) ws.pong(payload);
      this.notify();
    });
    ws.on('pong', (payload) => {
      client.frames.push({ kind: 'pong', at: performance.now(), payload: payload.toString('hex') });
      this.notify();
    });
    ws.on('close', () => {
      client.closed = true;
      this.notify();
    });
    ws.on('error', () => {});
    this.onConnect(client, request);
    this.notify();
  }
}
