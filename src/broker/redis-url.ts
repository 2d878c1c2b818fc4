/**
 * The broker address: `redis://[user:password@]host[:port][/db]` or `rediss://` (TLS), turned into
 * ioredis connection options. Errors are one line and never contain the password, because the CLI
 * prints them as they are and they end up in logs.
 */

/** The connection part of ioredis's options that a URL can express. */
export interface RedisUrlOptions {
  host: string;
  port: number;
  db: number;
  username?: string;
  password?: string;
  /** Present for rediss:// (TLS with the host name checked against the certificate). */
  tls?: { servername?: string };
}

export class BrokerUrlError extends Error {
  override readonly name = 'BrokerUrlError';
}

export const DEFAULT_REDIS_PORT = 6379;

/**
 * The URL with its credentials hidden: the password becomes `***`, and a lone user-info part (which
 * some tools read as a password) is hidden whole. Works on strings that are not valid URLs too, since
 * those are exactly the ones that get printed in error messages.
 */
export function redactRedisUrl(url: string): string {
  const start = url.indexOf('://');
  if (start === -1) return url;
  const at = url.lastIndexOf('@');
  if (at < start) return url;
  const userinfo = url.slice(start + 3, at);
  const colon = userinfo.indexOf(':');
  const shown = colon === -1 ? '***' : `${userinfo.slice(0, colon)}:***`;
  return `${url.slice(0, start + 3)}${shown}${url.slice(at)}`;
}

/** Parses a broker URL; throws BrokerUrlError with a one-line reason. */
export function parseRedisUrl(url: string): RedisUrlOptions {
  const shown = redactRedisUrl(url.trim());
  const bad = (why: string): BrokerUrlError => new BrokerUrlError(`bad broker URL '${shown}': ${why}`);
  const text = url.trim();
  if (text === '') throw new BrokerUrlError('bad broker URL: it is empty (expected redis://host:port)');
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(text)?.[1]?.toLowerCase();
  if (scheme === undefined) throw bad('expected redis://host:port or rediss://host:port');
  if (scheme !== 'redis' && scheme !== 'rediss') throw bad(`unsupported scheme '${scheme}:' (use redis:// or rediss:// for TLS)`);
  // The port is checked before URL parsing, which would only say "Invalid URL" for 99999 or 'abc'.
  const authority = /^[^:]+:\/\/(?:[^/?#]*@)?(\[[^\]]*\]|[^:/?#]*)(?::([^/?#]*))?/.exec(text);
  if (authority?.[1] === '') throw bad('no host (expected redis://host:port)');
  const rawPort = authority?.[2];
  if (rawPort !== undefined && rawPort !== '' && !/^\d{1,5}$/.test(rawPort)) throw bad(`port '${rawPort}' is not a number`);
  const port = rawPort === undefined || rawPort === '' ? DEFAULT_REDIS_PORT : Number(rawPort);
  if (port < 1 || port > 65535) throw bad(`port ${port} is out of range (1-65535)`);

  let parsed: URL;
  try {
    parsed = new URL(text);
  } catch {
    throw bad('not a valid URL');
  }
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  if (host === '') throw bad('no host (expected redis://host:port)');
  if (parsed.search !== '' || parsed.hash !== '') throw bad('query parameters and fragments are not supported');

  const path = parsed.pathname;
  let db = 0;
  if (path !== '' && path !== '/') {
    const raw = path.slice(1);
    if (!/^\d{1,9}$/.test(raw)) throw bad(`database '${decodeSafely(raw)}' is not a non-negative integer (expected /0, /1 ...)`);
    db = Number(raw);
  }

  const options: RedisUrlOptions = { host, port, db };
  const username = decodeSafely(parsed.username);
  const password = decodeSafely(parsed.password);
  if (password !== '') {
    options.password = password;
    if (username !== '') options.username = username;
  } else if (username !== '') {
    // Ambiguous: a user with no password (Redis would not authenticate) or a password written in
    // the user's place. Refuse rather than guess.
    throw bad('user without a password (use redis://:PASSWORD@host or redis://USER:PASSWORD@host)');
  }
  if (scheme === 'rediss') options.tls = /^[\d.]+$|:/.test(host) ? {} : { servername: host };
  return options;
}

function decodeSafely(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
