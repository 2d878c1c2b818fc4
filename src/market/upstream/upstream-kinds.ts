import type { FeedContext } from '../feed.js';
import { FeedSpecError } from '../feed-spec-error.js';
import { AlpacaFeed } from './alpaca-feed.js';
import { ALPACA_FEEDS } from './alpaca-messages.js';
import { BinanceFeed } from './binance-feed.js';
import { FinnhubFeed } from './finnhub-feed.js';
import { hasSecrets } from './redact.js';
import type { UpstreamFeedOptions } from './upstream-feed.js';

/**
 * The registry entries of the upstream adapters (src/market/create-feed.ts): `finnhub`,
 * `alpaca[:iex|sip|delayed_sip|test]` and `binance[:ALWAYS,ON,LIST]`. Keys come from the environment
 * only (a flag shows in `ps`); the server settings give `--feed-url`, `--feed-symbols` and
 * `--feed-stale-after`. Every problem is a one-line FeedSpecError (the CLI exits with code 2).
 */
type Env = Readonly<Record<string, string | undefined>>;

export function finnhubKind(context: FeedContext, env: Env = process.env): FinnhubFeed {
  if (context.arg !== '') throw new FeedSpecError(`takes no argument (got "${context.arg}"); use --feed-symbols and --feed-url`);
  const token = env['FINNHUB_TOKEN'] ?? '';
  if (token === '') throw new FeedSpecError('an API key is needed in the environment: FINNHUB_TOKEN (a free key: https://finnhub.io/register)');
  return new FinnhubFeed({ ...common(context), token, symbols: requireSymbols(context, 'AAPL,MSFT,BINANCE:BTCUSDT') });
}

export function alpacaKind(context: FeedContext, env: Env = process.env): AlpacaFeed {
  const dataFeed = context.arg === '' ? 'iex' : context.arg;
  if (!(ALPACA_FEEDS as readonly string[]).includes(dataFeed)) {
    throw new FeedSpecError(`the data feed must be one of ${ALPACA_FEEDS.join(', ')}`);
  }
  const keyId = env['APCA_API_KEY_ID'] ?? '';
  const secretKey = env['APCA_API_SECRET_KEY'] ?? '';
  if (keyId === '' || secretKey === '') {
    throw new FeedSpecError('keys are needed in the environment: APCA_API_KEY_ID and APCA_API_SECRET_KEY (from https://app.alpaca.markets, paper accounts included)');
  }
  return new AlpacaFeed({ ...common(context), keyId, secretKey, dataFeed, symbols: requireSymbols(context, 'AAPL,MSFT').map((s) => s.toUpperCase()) });
}

export function binanceKind(context: FeedContext): BinanceFeed {
  const symbols = context.settings.feedSymbols;
  const alwaysOn = context.arg === '' ? [] : context.arg.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (symbols !== undefined && alwaysOn.length > 0) {
    throw new FeedSpecError('an always-on list (binance:LIST) is for interest-driven mode; with --feed-symbols every listed symbol is always on');
  }
  try {
    return new BinanceFeed({ ...common(context), ...(symbols !== undefined ? { symbols } : { alwaysOn }) });
  } catch (error) {
    throw new FeedSpecError((error as Error).message.replace(/^binance: /, ''), { cause: error });
  }
}

function common(context: FeedContext): UpstreamFeedOptions {
  const { feedUrl, feedStaleAfterMs } = context.settings;
  if (feedUrl !== undefined) checkUrl(feedUrl);
  return {
    logger: context.logger,
    ...(feedUrl !== undefined ? { url: feedUrl } : {}),
    ...(feedStaleAfterMs !== undefined ? { staleAfterMs: feedStaleAfterMs } : {}),
  };
}

function checkUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new FeedSpecError('--feed-url: not a URL');
  }
  if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') throw new FeedSpecError(`--feed-url: use ws:// or wss://, not ${parsed.protocol}//`);
  if (hasSecrets(url)) throw new FeedSpecError('--feed-url must not carry credentials: keys come from the environment (FINNHUB_TOKEN, APCA_API_KEY_ID / APCA_API_SECRET_KEY)');
}

function requireSymbols(context: FeedContext, example: string): readonly string[] {
  const symbols = context.settings.feedSymbols;
  if (symbols === undefined || symbols.length === 0) throw new FeedSpecError(`no symbols to subscribe to: give them with --feed-symbols ${example}`);
  return symbols;
}
