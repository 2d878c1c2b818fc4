/** The URL of each connection: the base URL plus the client's current subscription, cadence and resume point. */
import { ALL_SYMBOLS } from '../wire/limits.js';

export interface ConnectParams {
  /** The subscription; [] = nothing, ['*'] = everything. */
  symbols: readonly string[];
  interval: number;
  /** Resume point: the epoch and offset of the last complete state held. */
  since?: { epoch: string; offset: number } | undefined;
}

/**
 * Parses the user's URL once: http(s) becomes ws(s), a relative URL resolves against the page in a
 * browser. Throws a TypeError for anything that cannot be a WebSocket URL.
 */
export function parseBaseUrl(input: string | URL): URL {
  const page = (globalThis as unknown as { location?: { href?: string } }).location?.href;
  const url = new URL(String(input), page);
  if (url.protocol === 'http:') url.protocol = 'ws:';
  else if (url.protocol === 'https:') url.protocol = 'wss:';
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') throw new TypeError(`unsupported URL scheme ${url.protocol} (use ws: or wss:)`);
  url.hash = '';
  return url;
}

/** base + symbols, interval and since (replacing any the base carried; other parameters are kept). */
export function connectUrl(base: URL, params: ConnectParams): string {
  const url = new URL(base.href);
  const query = url.searchParams;
  // `symbols=` (empty) means "nothing"; leaving it out would mean "everything".
  query.set('symbols', params.symbols.includes(ALL_SYMBOLS) ? ALL_SYMBOLS : params.symbols.join(','));
  query.set('interval', String(params.interval));
  if (params.since !== undefined) query.set('since', `${params.since.epoch}:${params.since.offset}`);
  else query.delete('since');
  return url.href;
}
