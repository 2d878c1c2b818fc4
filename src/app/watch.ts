/**
 * `tickstream watch`: a terminal client built on our own transport client. It keeps the latest
 * quote per symbol, redraws a table in place (or prints NDJSON with --json), and reconnects with
 * exponential backoff + jitter whenever the server goes away — unless the server's answer means
 * retrying cannot help (see watch-retry.ts): then it says why and what to do, and exits 1.
 */
import { CloseCode } from '../protocol/constants.js';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { get as httpGet, type IncomingMessage } from 'node:http';
import { get as httpsGet } from 'node:https';
import * as tls from 'node:tls';
import type { ConnectionOptions as TlsOptions } from 'node:tls';
import { redactUrl } from '../hub/redact.js';
import { HandshakeRefusedError } from '../protocol/handshake-client.js';
import { connect, type WebSocketConnection } from '../transport/index.js';
import { decodeServerMessage, type WireQuote as Quote } from '../wire/index.js';
import { ConfigError } from './config.js';
import { ANSI, reconnectDelay, renderTable, type WatchRow } from './watch-render.js';
import { cleanText, reasonFromBody, retryDecision, type RetryDecision, type WatchFailure } from './watch-retry.js';

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
  /** Extra options for wss:// (the CLI's --ca puts its bundle, plus Node's default CAs, in `ca`). */
  tls?: TlsOptions;
  /** Sent as `Authorization: Bearer TOKEN` on the upgrade and on /api/symbols; never printed. */
  token?: string;
}

/** Exit codes of {@link QuoteWatcher.run}: stopped by the user, or gave up on a server that said no. */
export const WATCH_EXIT_STOPPED = 0;
export const WATCH_EXIT_REFUSED = 1;

/** Table redraws are coalesced: at interval 0 a busy market would otherwise repaint thousands of times a second. */
const REDRAW_MS = 100;
const HANDSHAKE_TIMEOUT_MS = 5_000;
const NAMES_TIMEOUT_MS = 2_000;
const CLOSE_WAIT_MS = 1_000;
/** A connection must stay up this long to reset the backoff (a server that accepts and at once closes is still backed off). */
const STABLE_MS = 5_000;
const MAX_NAMES_BYTES = 4 << 20;

/**
 * A bearer token as the CLI accepts it: visible ASCII, no spaces (RFC 6750 b64token is narrower; servers
 * vary). The message never contains the token itself.
 */
const TOKEN_SYNTAX = /^[\x21-\x7e]+$/;

export function checkToken(token: string): void {
  if (!TOKEN_SYNTAX.test(token)) {
    throw new ConfigError('the token (--token / TICKSTREAM_AUTH_TOKEN) must be non-empty visible ASCII without spaces');
  }
}

/**
 * Reads a PEM CA bundle for --ca and returns it together with Node's default CAs (a `ca` option
 * replaces the defaults, and --ca adds to them). Unreadable or not PEM → ConfigError (exit 2).
 */
export function loadCaBundle(file: string): string[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    throw new ConfigError(`--ca ${file}: cannot read it (${typeof code === 'string' ? code : (err as Error).message})`);
  }
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) {
    throw new ConfigError(`--ca ${file}: no PEM certificate in it (expected "-----BEGIN CERTIFICATE-----" blocks)`);
  }
  blocks.forEach((block, i) => {
    try {
      new X509Certificate(block);
    } catch {
      throw new ConfigError(`--ca ${file}: certificate ${i + 1} of ${blocks.length} is not a valid PEM certificate`);
    }
  });
  return [...defaultCaCertificates(), ...blocks];
}

function defaultCaCertificates(): readonly string[] {
  // Node 22.15+ also knows NODE_EXTRA_CA_CERTS and --use-system-ca here; older Nodes: the bundled roots.
  const getCACertificates = (tls as { getCACertificates?: (kind: string) => string[] }).getCACertificates;
  return typeof getCACertificates === 'function' ? getCACertificates('default') : tls.rootCertificates;
}

/** The URL as it may be shown: credentials in the query (?token=...) and a userinfo password replaced by ***. */
export function displayUrl(url: URL): string {
  const shown = new URL(url.href);
  if (shown.password !== '') shown.password = '***';
  return redactUrl(shown.href);
}

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
  private readonly shownUrl: string;
  private readonly quotes = new Map<string, Quote>();
  private readonly names = new Map<string, string>();
  private conn: WebSocketConnection | undefined;
  private attempt = 0;
  private openedAt = 0;
  private exitCode = WATCH_EXIT_STOPPED;
  /** Printed (to `err`) once the terminal is restored, when the watcher gave up. */
  private finalMessage: string | undefined;
  private readonly namesAbort = new AbortController();
  private status = 'connecting…';
  /** The stream epoch of the quotes held: seqs only compare within one epoch. */
  private epoch: string | undefined;
  private feedNote = '';
  private stopped = false;
  private redrawTimer: NodeJS.Timeout | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private countdownTimer: NodeJS.Timeout | undefined;
  private finish: ((code: number) => void) | undefined;
  private readonly color: boolean;

  constructor(private readonly options: WatchOptions) {
    this.url = watchUrl(options.url, options.symbols, options.intervalMs);
    this.shownUrl = displayUrl(this.url);
    this.color = options.color ?? options.out.isTTY === true;
    if (options.token !== undefined && !TOKEN_SYNTAX.test(options.token)) {
      throw new TypeError('the token must be non-empty visible ASCII without spaces');
    }
  }

  /**
   * Runs until {@link stop} (resolves 0) or until the server gives an answer that retrying cannot
   * change (resolves 1, after printing why to `err`); the connection is closed and the terminal restored.
   */
  run(): Promise<number> {
    const done = new Promise<number>((resolve) => (this.finish = resolve));
    if (!this.options.json) {
      this.options.out.write(ANSI.hideCursor);
      this.loadNames();
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
    conn.close(CloseCode.Normal, 'watcher exiting');
  }

  private restore(): void {
    clearTimeout(this.redrawTimer);
    this.redrawTimer = undefined;
    this.namesAbort.abort();
    if (!this.options.json) {
      if (this.finalMessage === undefined) this.status = 'stopped';
      this.draw();
      this.options.out.write(ANSI.showCursor);
    }
    if (this.finalMessage !== undefined) this.options.err.write(this.finalMessage);
    const finish = this.finish;
    this.finish = undefined;
    finish?.(this.exitCode);
  }

  private async connectOnce(): Promise<void> {
    this.setStatus(this.attempt === 0 ? `connecting to ${this.url.origin}…` : `reconnecting to ${this.url.origin}…`);
    let conn: WebSocketConnection;
    try {
      conn = await connect(this.url, {
        handshakeTimeoutMs: HANDSHAKE_TIMEOUT_MS,
        ...(this.options.tls ? { tls: this.options.tls } : {}),
        ...(this.options.token !== undefined ? { headers: { Authorization: `Bearer ${this.options.token}` } } : {}),
      });
    } catch (err) {
      this.onFailure(failureOf(err));
      return;
    }
    if (this.stopped) {
      conn.terminate();
      return;
    }
    this.conn = conn;
    this.openedAt = Date.now();
    this.setStatus(`connected to ${this.url.origin}`);
    conn.on('message', (data: Buffer, isText: boolean) => {
      if (isText) this.onMessage(data.toString('utf8'));
    });
    conn.on('close', (code: number, reason: string) => {
      this.conn = undefined;
      if (this.stopped) return;
      // Only a connection that stayed up resets the backoff: a server that accepts and at once closes
      // (1008 rate limited, 1013 try again later) is retried ever more slowly, not twice a second.
      if (Date.now() - this.openedAt >= STABLE_MS) this.attempt = 0;
      this.onFailure({ kind: 'close', code, reason: cleanText(reason) });
    });
  }

  /** Reconnects, or gives up when the failure is one that retrying cannot change. */
  private onFailure(failure: WatchFailure): void {
    if (this.stopped) return;
    const tokenGiven = this.options.token !== undefined || this.url.searchParams.has('token');
    const decision = retryDecision(failure, { tokenGiven });
    if (decision.retry) this.scheduleReconnect(this.scrub(decision.what), decision.delayMs);
    else this.giveUp(decision);
  }

  private giveUp(decision: Extract<RetryDecision, { retry: false }>): void {
    this.exitCode = WATCH_EXIT_REFUSED;
    const what = this.scrub(decision.what);
    this.status = `stopped: ${what}`;
    this.finalMessage = `tickstream watch: giving up on ${this.shownUrl}: ${what}\n  ${this.scrub(decision.advice)}\n`;
    this.stop();
  }

  /** Text that came from elsewhere (a server's reason, an error) never carries the token out. */
  private scrub(text: string): string {
    const token = this.options.token;
    const clean = redactUrl(text);
    return token !== undefined && token.length >= 4 ? clean.replaceAll(token, '***') : clean;
  }

  private scheduleReconnect(why: string, retryAfterMs?: number): void {
    if (this.stopped) return;
    const backoff = reconnectDelay(this.attempt++);
    // The server said when (Retry-After): not earlier, and with a little jitter so its clients do not all return at once.
    const delay = retryAfterMs === undefined ? backoff : Math.round(retryAfterMs * (1 + 0.1 * Math.random()));
    const at = Date.now() + delay;
    const show = (): void => {
      // Nearest second ("1s" for a jittered 1.05 s Retry-After), but never "0s" while still waiting.
      const left = at - Date.now();
      const seconds = left <= 0 ? 0 : Math.max(1, Math.round(left / 1000));
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
    const message = decodeServerMessage(text);
    if (message === null) return; // not a message this version knows: ignore it
    switch (message.type) {
      case 'snapshot':
      case 'quotes':
        this.onQuotes(message.quotes);
        return;
      case 'error': {
        const named = message.symbols !== undefined && message.symbols.length > 0 ? ` (${message.symbols.join(', ')})` : '';
        this.setStatus(`server error ${message.code}: ${message.message}${named}`);
        return;
      }
      case 'welcome':
        this.enterEpoch(message.epoch);
        this.onFeedStatus(message.feed.state, message.feed.reason);
        return;
      case 'epoch':
        this.enterEpoch(message.epoch);
        return;
      case 'status':
        this.onFeedStatus(message.feed, message.reason);
        return;
      default:
        return;
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
      title: `tickstream watch  ${this.shownUrl}`,
      status: this.status,
      ...(out.columns !== undefined ? { width: out.columns } : {}),
      ...(out.rows !== undefined ? { height: out.rows } : {}),
    });
    // Overwrite in place (home, clear each line's tail, clear below) instead of clearing the screen: no flicker.
    out.write(ANSI.home + screen.replaceAll('\n', ANSI.clearLine + '\n') + ANSI.clearToEnd);
  }

  /** Best effort: company names from the same server's /api/symbols (the table works without them). */
  private loadNames(): void {
    const secure = this.url.protocol === 'wss:';
    const target = new URL(this.url.href);
    target.protocol = secure ? 'https:' : 'http:';
    target.pathname = '/api/symbols';
    target.search = '';
    target.username = '';
    target.password = '';
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.options.token !== undefined) headers.authorization = `Bearer ${this.options.token}`;
    const tlsOptions = this.options.tls;
    const options = {
      headers,
      signal: this.namesAbort.signal,
      timeout: NAMES_TIMEOUT_MS,
      // The same trust as the WebSocket (--ca): a private-CA server gets names too.
      ...(secure && tlsOptions?.ca !== undefined ? { ca: tlsOptions.ca } : {}),
      ...(secure && tlsOptions?.rejectUnauthorized !== undefined ? { rejectUnauthorized: tlsOptions.rejectUnauthorized } : {}),
    };
    const onResponse = (response: IncomingMessage): void => {
      if (response.statusCode !== 200) {
        response.resume();
        return;
      }
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        text += chunk;
        if (text.length > MAX_NAMES_BYTES) request.destroy();
      });
      response.on('end', () => this.onNames(text));
      response.on('error', () => {});
    };
    const request = secure ? httpsGet(target, options, onResponse) : httpGet(target, options, onResponse);
    // No names: an old server, a proxy without /api, a timeout, or the watcher stopped first.
    request.on('timeout', () => request.destroy());
    request.on('error', () => {});
  }

  private onNames(text: string): void {
    let list: unknown;
    try {
      list = JSON.parse(text);
    } catch {
      return;
    }
    if (!Array.isArray(list)) return;
    for (const item of list as Array<{ symbol?: unknown; name?: unknown }>) {
      if (typeof item?.symbol === 'string' && typeof item.name === 'string') this.names.set(item.symbol, item.name);
    }
    this.scheduleRedraw();
  }
}

/** What went wrong with a connection attempt, for {@link retryDecision}; texts cleaned of control characters. */
function failureOf(err: unknown): WatchFailure {
  if (err instanceof HandshakeRefusedError) {
    const location = err.header('location');
    return {
      kind: 'http',
      status: err.status,
      statusText: cleanText(err.statusText, 60),
      reason: reasonFromBody(err.body, err.header('content-type')),
      retryAfter: err.header('retry-after'),
      location: location === undefined ? undefined : cleanText(redactUrl(location)),
    };
  }
  const e = err as { message?: unknown; code?: unknown } | null;
  return {
    kind: 'network',
    message: cleanText(String(e?.message ?? err)),
    code: typeof e?.code === 'string' ? e.code : undefined,
  };
}
