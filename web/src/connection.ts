// A WebSocket that stays connected: exponential backoff with jitter between attempts, a liveness
// watchdog fed by every incoming message (including the app-level heartbeat, since browsers never
// see ping frames), and an "offline" state driven by the browser's own network events.
import type { ClientCommand, IncomingMessage } from './wire.js';

export type ConnectionState =
  | { kind: 'connecting'; attempt: number }
  | { kind: 'live' }
  | { kind: 'reconnecting'; attempt: number; /** epoch ms of the next attempt */ at: number }
  | { kind: 'offline' };

export interface QuoteSocketOptions {
  /** Called before every attempt so the URL carries the current watchlist and cadence. */
  url: () => string;
  onMessage: (message: IncomingMessage) => void;
  onState: (state: ConnectionState) => void;
  initialDelayMs?: number;
  maxDelayMs?: number;
}

/** Silence longer than this many heartbeat periods means the connection is dead. */
const HEARTBEAT_GRACE = 2;
const DEFAULT_HEARTBEAT_MS = 15_000;

export class QuoteSocket {
  private ws: WebSocket | null = null;
  private attempt = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private watchdog: ReturnType<typeof setInterval> | undefined;
  private lastSeen = 0;
  private heartbeatMs = DEFAULT_HEARTBEAT_MS;
  private stopped = true;
  private readonly initialDelayMs: number;
  private readonly maxDelayMs: number;

  constructor(private readonly options: QuoteSocketOptions) {
    this.initialDelayMs = options.initialDelayMs ?? 500;
    this.maxDelayMs = options.maxDelayMs ?? 15_000;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    window.addEventListener('online', this.handleOnline);
    window.addEventListener('offline', this.handleOffline);
    this.watchdog = setInterval(this.checkLiveness, 1000);
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    window.removeEventListener('online', this.handleOnline);
    window.removeEventListener('offline', this.handleOffline);
    clearInterval(this.watchdog);
    clearTimeout(this.retryTimer);
    this.drop(1000, 'client stopped');
  }

  /** True when the command was handed to an open socket (otherwise the reconnect URL covers it). */
  send(command: ClientCommand): boolean {
    if (this.ws === null || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(command));
    return true;
  }

  /** Skip the remaining backoff delay (e.g. the user clicked the status pill). */
  reconnectNow(): void {
    if (this.stopped || this.ws !== null) return;
    clearTimeout(this.retryTimer);
    this.connect();
  }

  private connect(): void {
    this.retryTimer = undefined;
    this.options.onState({ kind: 'connecting', attempt: this.attempt });
    let ws: WebSocket;
    try {
      ws = new WebSocket(this.options.url());
    } catch {
      this.scheduleReconnect(); // malformed URL or blocked port: treat like a failed attempt
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      this.lastSeen = Date.now();
      this.options.onState({ kind: 'live' });
    };
    ws.onmessage = (event: MessageEvent) => {
      this.lastSeen = Date.now();
      if (typeof event.data !== 'string') return; // the dashboard speaks JSON text frames only
      let message: IncomingMessage;
      try {
        message = JSON.parse(event.data) as IncomingMessage;
      } catch {
        return;
      }
      if (message.type === 'welcome') {
        this.attempt = 0; // a server that greets us is healthy: start the backoff over next time
        if (message.heartbeat > 0) this.heartbeatMs = message.heartbeat;
      }
      this.options.onMessage(message);
    };
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (!this.stopped) this.scheduleReconnect();
    };
  }

  private scheduleReconnect(): void {
    clearTimeout(this.retryTimer);
    if (!navigator.onLine) {
      this.options.onState({ kind: 'offline' });
      return; // the 'online' event restarts us
    }
    // Full delay doubles per attempt; jitter keeps a fleet of dashboards from reconnecting in lockstep
    // after a server restart.
    const ceiling = Math.min(this.maxDelayMs, this.initialDelayMs * 2 ** Math.min(this.attempt, 16));
    const delay = Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
    this.attempt++;
    this.options.onState({ kind: 'reconnecting', attempt: this.attempt, at: Date.now() + delay });
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  /** Forget the current socket without waiting for a close handshake a dead peer would never finish. */
  private drop(code: number, reason: string): void {
    const ws = this.ws;
    if (ws === null) return;
    this.ws = null;
    ws.onopen = ws.onmessage = ws.onclose = null;
    try {
      ws.close(code, reason);
    } catch {
      /* already closing */
    }
  }

  private readonly checkLiveness = (): void => {
    if (this.ws === null || this.ws.readyState !== WebSocket.OPEN) return;
    if (Date.now() - this.lastSeen > this.heartbeatMs * HEARTBEAT_GRACE) {
      this.drop(4000, 'heartbeat timeout');
      this.scheduleReconnect();
    }
  };

  private readonly handleOnline = (): void => {
    if (this.ws === null && !this.stopped) {
      clearTimeout(this.retryTimer);
      this.connect();
    }
  };

  private readonly handleOffline = (): void => {
    if (this.ws === null) {
      clearTimeout(this.retryTimer);
      this.options.onState({ kind: 'offline' });
    }
  };
}
