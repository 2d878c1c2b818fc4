import type { QuoteUpdate } from '../normaliser.js';
import { ALPACA_STREAM_BASE, alpacaAuth, alpacaError, alpacaSubscribe, parseAlpacaMessage } from './alpaca-messages.js';
import { describeDelay, hostOf, redactSecrets } from './redact.js';
import { UpstreamConnection, type UpstreamLink } from './upstream-connection.js';
import { UpstreamFeed, type UpstreamFeedOptions } from './upstream-feed.js';

export interface AlpacaFeedOptions extends UpstreamFeedOptions {
  /** APCA_API_KEY_ID and APCA_API_SECRET_KEY: sent in the auth message only, never logged. */
  readonly keyId: string;
  readonly secretKey: string;
  readonly symbols: readonly string[];
  /** The data feed in the default URL: iex (default), sip, delayed_sip or test (symbol FAKEPACA). */
  readonly dataFeed?: string;
  /** Time allowed for the auth answer after connecting (Alpaca's own limit is 10 s). Default 10 000 ms. */
  readonly authTimeoutMs?: number;
}

type Phase = 'connected' | 'authenticating' | 'subscribing' | 'streaming';

/**
 * `--feed alpaca[:iex|sip|delayed_sip|test]`: Alpaca's stock stream v2, trades and quotes of the
 * configured symbols. On each connection: wait for "connected", authenticate with a message (the
 * keys never go into a URL or a log), subscribe once authenticated, `up` when the subscription is
 * acknowledged. Error codes become clear one-line reasons (alpacaError): refused keys (402), plan
 * limits (405, 409) and a second connection (406) stop the retries for authRetryMs; the others
 * reconnect with backoff.
 */
export class AlpacaFeed extends UpstreamFeed {
  private readonly symbols: readonly string[];
  private readonly keyId: string;
  private readonly secretKey: string;
  private readonly authTimeoutMs: number;
  private readonly connection: UpstreamConnection;
  private readonly host: string;
  private readonly url: string;
  private phase: Phase = 'connected';
  private authTimer: NodeJS.Timeout | undefined;

  constructor(options: AlpacaFeedOptions) {
    super('alpaca', options, (symbol) => ({ symbol, name: symbol, exchange: '', currency: 'USD' }));
    if (options.keyId === '' || options.secretKey === '') throw new Error('alpaca needs API keys: set APCA_API_KEY_ID and APCA_API_SECRET_KEY');
    if (options.symbols.length === 0) throw new Error('alpaca needs symbols to subscribe to');
    this.symbols = [...new Set(options.symbols)];
    this.keyId = options.keyId;
    this.secretKey = options.secretKey;
    this.authTimeoutMs = options.authTimeoutMs ?? 10_000;
    this.url = options.url ?? ALPACA_STREAM_BASE + (options.dataFeed ?? 'iex');
    this.host = hostOf(this.url);
    this.connection = new UpstreamConnection(
      {
        url: this.url,
        label: 'alpaca',
        staleAfterMs: this.staleAfterMs,
        ...(options.backoff !== undefined ? { backoff: options.backoff } : {}),
        ...(options.handshakeTimeoutMs !== undefined ? { handshakeTimeoutMs: options.handshakeTimeoutMs } : {}),
        onRefused: (status) =>
          status === 401 || status === 403 ? { reason: `alpaca: ${this.host} refused the connection (HTTP ${status}): check APCA_API_KEY_ID and APCA_API_SECRET_KEY`, retryAfterMs: this.authRetryMs } : null,
      },
      {
        opened: (link) => this.opened(link),
        message: (text, link) => this.message(text, link),
        closed: (reason, retryInMs, failed) => {
          clearTimeout(this.authTimer);
          this.connectionLost(redactSecrets(reason), retryInMs, failed);
        },
        stale: (stale) => {
          if (stale) this.reportStatus('stale', `no message from ${this.host} for ${describeDelay(this.staleAfterMs)}`);
          else if (this.phase === 'streaming') this.reportStatus('up');
        },
      },
    );
  }

  protected run(): void {
    this.announce(this.symbols);
    this.reportStatus('down', `connecting to ${this.host}`);
    this.logger.info({ feed: this.name, url: redactSecrets(this.url), symbols: this.symbols.length }, 'alpaca: connecting');
    this.connection.start();
  }

  protected async halt(): Promise<void> {
    clearTimeout(this.authTimer);
    await this.connection.stop();
  }

  protected connectAttempts(): number {
    return this.connection.counters.attempts;
  }

  protected subscribedSymbols(): number {
    return this.phase === 'streaming' && this.connection.isOpen ? this.symbols.length : 0;
  }

  private opened(link: UpstreamLink): void {
    if (link.number > 1) this.counters.reconnects++;
    this.phase = 'connected';
    clearTimeout(this.authTimer);
    this.authTimer = setTimeout(() => this.connection.drop(`alpaca: not authenticated within ${describeDelay(this.authTimeoutMs)} of connecting`), this.authTimeoutMs);
    this.authTimer.unref();
  }

  private message(text: string, link: UpstreamLink): void {
    this.counters.message();
    const updates: QuoteUpdate[] = [];
    for (const event of parseAlpacaMessage(text)) {
      switch (event.kind) {
        case 'connected':
          if (this.phase === 'connected') {
            this.phase = 'authenticating';
            link.send(alpacaAuth(this.keyId, this.secretKey));
          }
          break;
        case 'authenticated':
          clearTimeout(this.authTimer);
          link.healthy();
          this.phase = 'subscribing';
          link.send(alpacaSubscribe(this.symbols));
          break;
        case 'subscription': {
          const missing = this.symbols.filter((s) => !event.trades.includes(s) || !event.quotes.includes(s));
          if (missing.length > 0) this.logger.warn({ feed: this.name, missing: missing.slice(0, 20) }, `alpaca: the subscription lacks ${missing.length} of our symbols`);
          if (this.phase !== 'streaming') this.logger.info({ feed: this.name, connection: link.number, symbols: this.symbols.length }, `alpaca: streaming from ${this.host}`);
          this.phase = 'streaming';
          this.reportStatus('up');
          break;
        }
        case 'update':
          updates.push(event.update);
          break;
        case 'error': {
          const meaning = alpacaError(event.code, event.message);
          if (meaning.action === 'fatal') this.connection.fail({ reason: meaning.text, retryAfterMs: this.authRetryMs });
          else if (meaning.action === 'reconnect') this.connection.drop(meaning.text);
          else this.logger.warn({ feed: this.name, code: event.code }, meaning.text);
          break;
        }
        case 'malformed':
          this.malformed(event.why);
          break;
        case 'other':
          break;
      }
    }
    if (updates.length === 0) return;
    let latest = -Infinity;
    for (const u of updates) if (u.ts! > latest) latest = u.ts!;
    this.counters.stamp(latest);
    this.deliver(updates);
  }
}
