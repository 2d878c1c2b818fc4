import { Redis } from 'ioredis';
import { parseRedisUrl, redactRedisUrl } from './redis-url.js';

/** What one connection attempt said about a broker URL. */
export type ProbeResult =
  | { readonly kind: 'ok' }
  /** Not reachable now (refused, timed out, DNS): a process starts anyway and retries. */
  | { readonly kind: 'unreachable'; readonly reason: string }
  /** Reachable, but it refuses us (wrong password, unknown user, no such db): retrying cannot help. */
  | { readonly kind: 'refused'; readonly reason: string };

/** Redis replies that mean the credentials or the database in the URL are wrong. */
const REFUSALS = /^(WRONGPASS|NOAUTH|NOPERM)\b|invalid password|without any password configured|DB index is out of range|invalid DB index/i;

/**
 * One connection attempt, before a process commits to a broker: a refused AUTH is a configuration
 * error to report at once (one line, exit 2), while an unreachable Redis is a condition to wait out.
 * Never retries, never logs, and the reason never contains the password.
 */
export async function probeRedis(url: string, timeoutMs = 2000): Promise<ProbeResult> {
  const redis = new Redis({
    ...parseRedisUrl(url),
    lazyConnect: true,
    retryStrategy: () => null,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: timeoutMs,
    disableClientInfo: true,
  });
  // ioredis reports the server's own reply (WRONGPASS ...) as an 'error' event; the promise only
  // says "Connection is closed." when the server then hangs up.
  let serverSaid: string | undefined;
  redis.on('error', (err: Error) => (serverSaid ??= err.message));
  try {
    await redis.connect();
    await redis.ping();
    return { kind: 'ok' };
  } catch (err) {
    const message = (serverSaid ?? (err as Error).message).replaceAll(url, redactRedisUrl(url));
    return REFUSALS.test(message) ? { kind: 'refused', reason: message } : { kind: 'unreachable', reason: message };
  } finally {
    redis.disconnect();
  }
}
