/**
 * `tickstream watch`: a terminal client built on our own transport client. It keeps the latest
 * quote per symbol, redraws a table in place (or prints NDJSON with --json), and reconnects with
 * exponential backoff + jitter whenever the server goes away.
 */
import type { ConnectionOptions as TlsOptions } from 'node:tls';
import type { Quote } from '../market/index.js';
import { connect, type WebSocketConnection } from '../transport/index.js';
import { ANSI, reconnectDelay, renderTable, type WatchRow } from './watch-render.js';

export const DEFAULT_WATCH_URL = 'ws://localhost:8765/';

/** What the watcher writes to: process.stdout in the CLI, a capture in tests. */
export interface WatchOutput {
  write(chunk: string): boolean;
  readonly isTTY?: boolean;
  readonly columns?: number;
  readonly rows?: number;
}

export interface WatchOptions {
  url: string;
  /** Empty = every symbol. */
  symbols: readonly string[];
  /** NDJSON, one quote per line, instead of the table. */
  json: boolean;
  intervalMs?: number;
  out: WatchOutput;
  /** Status lines in JSON mode (stderr in the CLI). */
  err: WatchOutput;
  color?: boolean;
  tls?: TlsOptions;
}

/** Table redraws are coalesced: at interval 0 a busy market would otherwise repaint thousands of times a second. */
const REDRAW_MS = 100;
const HANDSHAKE_TIMEOUT_MS = 5_000;
const NAMES_TIMEOUT_MS = 2_000;
const CLOSE_WAIT_MS = 1_000;

/** Normalises user input ("localhost:8765", "http://h:1") into a ws(s):// URL with the subscription query. */
export function watchUrl(input: string, symbols: readonly string[], intervalMs?: number): URL {
  const url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(input) ? input : `ws://${input}`);
  if (url.protocol === 'http:') url.protocol = 'ws:';
  if (url.protocol === 'https:') url.protocol = 'wss:';
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') throw new TypeError(`unsupported URL scheme ${url.protocol}`);
  if (symbols.length > 0) url.searchParams.set('symbols', symbols.join(','));
  if (intervalMs !== undefined) url.searchParams.set('interval', String(intervalMs));
  return url;
}

export class QuoteWatcher {
  private readonly url: URL;
  private readonly quotes = new Map<string, Quote>();
  private readonly names = new Map<string, string>();
  private conn: WebSocketConnection | undefined;
  private attempt = 0;
  private status = 'connecting…';
  /** The stream epoch of the quotes held: seqs only compare within one epoch. */
  private epoch: string | undefined;
  private feedNote = '';
  private stopped = false;
  private redrawTimer: NodeJS.Timeout | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private countdownTimer: NodeJS.Timeout | undefined;
  private finish: (() => void) | undefined;
  private readonly color: boolean;

  constructor(private readonly options: WatchOptions) {
    this.url = watchUrl(options.url, options.symbols, options.intervalMs);
    this.color = options.color ?? options.out.isTTY === true;
  }

  /** Runs until {@link stop}; resolves once the connection is closed and the terminal restored. */
  run(): Promise<void> {
    const done = new Promise<void>((resolve) => (this.finish = resolve));
    if (!this.options.json) {
      this.options.out.write(ANSI.hideCursor);
      void this.loadNames();
    }
    void this.connectOnce();
    return done;
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    clearInterval(this.countdownTimer);
    const conn = this.conn;
    if (conn === undefined) {
      this.restore();
      return;
    }
    // Say goodbye properly, but never let a dead server keep us from exiting.
    const forced = setTimeout(() => {
      conn.terminate();
      this.restore();
    }, CLOSE_WAIT_MS);
    conn.on('close', () => {
      clearTimeout(forced);
      this.restore();
    });
    conn.close(1000, 'watcher exiting');
  }

  private restore(): void {
    clearTimeout(this.redrawTimer);
    this.redrawTimer = undefined;
    if (!this.options.json) {
      this.status = 'stopped';
      this.draw();
      this.options.out.write(ANSI.showCursor);
    }
    const finish = this.finish;
    this.finish = undefined;
    finish?.();
  }

  private async connectOnce(): Promise<void> {
    this.setStatus(this.attempt === 0 ? `connecting to ${this.url.origin}…` : `reconnecting to ${this.url.origin}…`);
    let conn: WebSocketConnection;
    try {
      conn = await connect(this.url, {
        handshakeTimeoutMs: HANDSHAKE_TIMEOUT_MS,
        ...(this.options.tls ? { tls: this.options.tls } : {}),
      });
    } catch (err) {
      this.scheduleReconnect((err as Error).message);
      return;
    }
    if (this.stopped) {
      conn.terminate();
      return;
    }
    this.conn = conn;
    this.attempt = 0;
    this.setStatus(`connected to ${this.url.origin}`);
    conn.on('message', (data: Buffer, isText: boolean) => {
      if (isText) this.onMessage(data.toString('utf8'));
    });
    conn.on('close', (code: number, reason: string) => {
      this.conn = undefined;
      if (!this.stopped) this.scheduleReconnect(`closed ${code}${reason ? ' ' + reason : ''}`);
    });
  }

  private scheduleReconnect(why: string): void {
    if (this.stopped) return;
    const delay = reconnectDelay(this.attempt++);
    const at = Date.now() + delay;
    const show = (): void => {
      const seconds = Math.max(0, Math.ceil((at - Date.now()) / 1000));
      this.setStatus(`disconnected (${why}); reconnecting in ${seconds}s`, !this.options.json);
    };
    show();
    if (!this.options.json) this.countdownTimer = setInterval(show, 1000);
    this.reconnectTimer = setTimeout(() => {
      clearInterval(this.countdownTimer);
      void this.connectOnce();
    }, delay);
  }

  private onMessage(text: string): void {
    let message: { type?: unknown; quotes?: unknown; message?: unknown; code?: unknown; epoch?: unknown; feed?: unknown; reason?: unknown };
    try {
      message = JSON.parse(text) as typeof message;
    } catch {
      return; // not ours to judge; the server only sends JSON
    }
    if ((message.type === 'snapshot' || message.type === 'quotes') && Array.isArray(message.quotes)) {
      this.onQuotes(message.quotes as Quote[]);
    } else if (message.type === 'error') {
      this.setStatus(`server error ${String(message.code)}: ${String(message.message)}`);
    } else if ((message.type === 'welcome' || message.type === 'epoch') && typeof message.epoch === 'string') {
      this.enterEpoch(message.epoch);
      if (message.type === 'welcome' && typeof message.feed === 'object' && message.feed !== null) {
        const feed = message.feed as { state?: unknown; reason?: unknown };
        this.onFeedStatus(feed.state, feed.reason);
      }
    } else if (message.type === 'status') {
      this.onFeedStatus(message.feed, message.reason);
    }
  }

  /**
   * A new epoch (the server's feed restarted): every seq held belongs to the old stream and would make
   * the table drop the new, lower seqs. Forget them; the snapshot that follows refills the table.
   */
  private enterEpoch(epoch: string): void {
    if (this.epoch !== undefined && epoch !== this.epoch) {
      this.quotes.clear();
      if (this.options.json) this.options.err.write(`tickstream watch: new stream epoch ${epoch} (was ${this.epoch})\n`);
    }
    this.epoch = epoch;
  }

  private onFeedStatus(state: unknown, reason: unknown): void {
    const note = state === 'up' || typeof state !== 'string' ? '' : `feed ${state}${typeof reason === 'string' ? ': ' + reason : ''}`;
    if (note === this.feedNote) return;
    this.feedNote = note;
    this.setStatus(`connected to ${this.url.origin}${note ? ' — ' + note : ''}`, note === '');
  }

  private onQuotes(quotes: readonly Quote[]): void {
    if (this.options.json) {
      let lines = '';
      for (const q of quotes) lines += JSON.stringify(q) + '\n';
      if (lines !== '') this.options.out.write(lines);
      return;
    }
    for (const q of quotes) {
      const previous = this.quotes.get(q.symbol);
      // Conflated or reordered frames must not move the table backwards.
      if (previous === undefined || previous.seq < q.seq) this.quotes.set(q.symbol, q);
    }
    this.scheduleRedraw();
  }

  /** Status changes: a table redraw, or one line on stderr in JSON mode (unless `quiet`). */
  private setStatus(status: string, quietInJson = false): void {
    this.status = status;
    if (this.options.json) {
      if (!quietInJson) this.options.err.write(`tickstream watch: ${status}\n`);
    } else {
      this.scheduleRedraw();
    }
  }

  private scheduleRedraw(): void {
    if (this.redrawTimer !== undefined || this.stopped) return;
    this.redrawTimer = setTimeout(() => {
      this.redrawTimer = undefined;
      this.draw();
    }, REDRAW_MS);
  }

  private draw(): void {
    const rows: WatchRow[] = [];
    for (const quote of this.quotes.values()) rows.push({ quote, name: this.names.get(quote.symbol) });
    const out = this.options.out;
    const screen = renderTable(rows, {
      color: this.color,
      title: `tickstream watch  ${this.url.href}`,
      status: this.status,
      ...(out.columns !== undefined ? { width: out.columns } : {}),
      ...(out.rows !== undefined ? { height: out.rows } : {}),
    });
    // Overwrite in place (home, clear each line's tail, clear below) instead of clearing the screen: no flicker.
    out.write(ANSI.home + screen.replaceAll('\n', ANSI.clearLine + '\n') + ANSI.clearToEnd);
  }

  /** Best effort: company names from the same server's /api/symbols (the table works without them). */
  private async loadNames(): Promise<void> {
    const http = new URL(this.url.href);
    http.protocol = this.url.protocol === 'wss:' ? 'https:' : 'http:';
    http.pathname = '/api/symbols';
    http.search = '';
    try {
      const response = await fetch(http, { signal: AbortSignal.timeout(NAMES_TIMEOUT_MS) });
      if (!response.ok) return;
      const list = (await response.json()) as Array<{ symbol?: unknown; name?: unknown }>;
      for (const item of list) {
        if (typeof item.symbol === 'string' && typeof item.name === 'string') this.names.set(item.symbol, item.name);
      }
      this.scheduleRedraw();
    } catch {
      // no names: a TLS server with a private CA, an old server, or a proxy without /api
    }
  }
}
