import { UpstreamConnection, type UpstreamLink } from './upstream-connection.js';
import { FINNHUB_URL, finnhubSubscribe, finnhubUrl, isFinnhubAuthError, parseFinnhubMessage } from './finnhub-messages.js';
import { describeDelay, hostOf, redactSecrets } from './redact.js';
import { UpstreamFeed, type UpstreamFeedOptions } from './upstream-feed.js';

export interface FinnhubFeedOptions extends UpstreamFeedOptions {
  /** The API key (FINNHUB_TOKEN). Sent only in the connection URL, never logged. */
  readonly token: string;
  /** Finnhub symbols: AAPL, BINANCE:BTCUSDT, OANDA:EUR_USD ... */
  readonly symbols: readonly string[];
  /** Pacing of the subscribe messages (one per symbol). Default 10 per second. */
  readonly messagesPerSecond?: number;
}

/**
 * `--feed finnhub`: Finnhub's trade stream. One subscribe message per symbol (paced), on every
 * (re)connection; `{"type":"ping"}` keeps the link alive and is otherwise ignored. The key is
 * refused at the handshake (HTTP 401/403) or by an error message: either way the feed goes `down`
 * with one clear line and retries only after authRetryMs.
 */
export class FinnhubFeed extends UpstreamFeed {
  private readonly symbols: readonly string[];
  private readonly connection: UpstreamConnection;
  private readonly host: string;
  /** The endpoint with its key replaced by *** (for logs). */
  private readonly displayUrl: string;

  constructor(options: FinnhubFeedOptions) {
    super('finnhub', options, (symbol) => {
      const colon = symbol.indexOf(':');
      return { symbol, name: symbol, exchange: colon > 0 ? symbol.slice(0, colon) : '', currency: '' };
    });
    if (options.token === '') throw new Error('finnhub needs an API key: set FINNHUB_TOKEN');
    if (options.symbols.length === 0) throw new Error('finnhub needs symbols to subscribe to');
    this.symbols = [...new Set(options.symbols)];
    const base = options.url ?? FINNHUB_URL;
    this.host = hostOf(base);
    const url = finnhubUrl(base, options.token);
    this.displayUrl = redactSecrets(url);
    this.connection = new UpstreamConnection(
      {
        url,
        label: 'finnhub',
        staleAfterMs: this.staleAfterMs,
        messagesPerSecond: options.messagesPerSecond ?? 10,
        ...(options.backoff !== undefined ? { backoff: options.backoff } : {}),
        ...(options.handshakeTimeoutMs !== undefined ? { handshakeTimeoutMs: options.handshakeTimeoutMs } : {}),
        onRefused: (status, error) => {
          if (status === 401 || status === 403) {
            return { reason: `finnhub: ${this.host} refused the API key (HTTP ${status}): check FINNHUB_TOKEN`, retryAfterMs: this.authRetryMs };
          }
          if (status === 429) {
            const after = Number(error.header('retry-after'));
            return { reason: `finnhub: rate limited by ${this.host} (HTTP 429)`, retryAfterMs: Math.max(60_000, Number.isFinite(after) ? after * 1000 : 0) };
          }
          return null;
        },
      },
      {
        opened: (link) => this.opened(link),
        message: (text, link) => this.message(text, link),
        closed: (reason, retryInMs, failed) => this.connectionLost(redactSecrets(reason), retryInMs, failed),
        stale: (stale) => this.reportStatus(stale ? 'stale' : 'up', stale ? `no message from ${this.host} for ${describeDelay(this.staleAfterMs)}` : undefined),
      },
    );
  }

  protected run(): void {
    this.announce(this.symbols);
    this.reportStatus('down', `connecting to ${this.host}`);
    this.logger.info({ feed: this.name, url: this.displayUrl, symbols: this.symbols.length }, 'finnhub: connecting');
    this.connection.start();
  }

  protected halt(): Promise<void> {
    return this.connection.stop();
  }

  protected connectAttempts(): number {
    return this.connection.counters.attempts;
  }

  protected subscribedSymbols(): number {
    return this.connection.isOpen ? this.symbols.length : 0;
  }

  private opened(link: UpstreamLink): void {
    if (link.number > 1) this.counters.reconnects++;
    for (const symbol of this.symbols) link.sendPaced(() => finnhubSubscribe(symbol));
    this.logger.info({ feed: this.name, connection: link.number, symbols: this.symbols.length }, `finnhub: connected to ${this.host}, subscribing`);
    this.reportStatus('up');
  }

  private message(text: string, link: UpstreamLink): void {
    this.counters.message();
    const message = parseFinnhubMessage(text);
    switch (message.kind) {
      case 'trades':
        for (let i = 0; i < message.badEntries; i++) this.malformed('a trade without s, p or t');
        if (message.latestTs !== undefined) this.counters.stamp(message.latestTs);
        if (message.updates.length > 0) link.healthy();
        this.deliver(message.updates);
        return;
      case 'ping':
      case 'other':
        return;
      case 'error':
        if (isFinnhubAuthError(message.message)) {
          this.connection.fail({ reason: `finnhub: ${this.host} refused the API key ("${message.message.slice(0, 120)}"): check FINNHUB_TOKEN`, retryAfterMs: this.authRetryMs });
        } else {
          this.logger.warn({ feed: this.name }, `finnhub: upstream error: ${message.message.slice(0, 200)}`);
        }
        return;
      case 'malformed':
        this.malformed(message.why);
        return;
    }
  }
}
