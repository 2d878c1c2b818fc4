import { Redis } from 'ioredis';
import { parseRedisUrl, redactRedisUrl } from './redis-url.js';

/**
 * One ioredis connection with the policy both broker ends need, and its up/down bookkeeping.
 *
 * - Reconnect forever, backing off 50 ms, 100 ms ... capped at `maxRetryDelayMs` (1 s): after a broker
 *   restart both ends are back within about a second, never minutes.
 * - No offline queue and no automatic resend: a command issued while disconnected fails at once, and
 *   commands in flight when the connection drops are rejected. ioredis would otherwise buffer without
 *   bound and replay blindly; the publisher keeps its own bounded buffer and decides what to replay
 *   after checking what Redis really holds, the source re-reads what it needs.
 * - An outage is logged once when it starts and once when it ends, not at every retry.
 */

export interface BrokerLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export interface BrokerLinkOptions {
  /** redis://[user:password@]host:port[/db] or rediss://... */
  readonly url: string;
  /** Shown in CLIENT LIST (`tickstream-<role>`) and in the log lines. */
  readonly role: string;
  /** Where the outage lines go; omit for a connection whose sibling already reports. */
  readonly logger?: BrokerLogger | undefined;
  /** Cap of the reconnect backoff (default 1000 ms). */
  readonly maxRetryDelayMs?: number | undefined;
}

export interface BrokerLinkEvents {
  /** Connected and ready for commands (first time or again). */
  ready(): void;
  /** The connection was lost (or could not be made); ioredis is retrying. */
  down(): void;
}

const CLOSE_TIMEOUT_MS = 1000;

export class BrokerLink {
  readonly redis: Redis;
  /** Times the connection came back after being lost (the first connection is not counted). */
  reconnects = 0;
  private lastError: string | undefined;
  private everReady = false;
  /** Between 'ready' and the next 'close': what `events.down` reports the end of. */
  private up = false;
  private downSince: number | null = null;
  private closing = false;
  private readonly url: string;
  private readonly role: string;
  private readonly logger: BrokerLogger | undefined;

  constructor(options: BrokerLinkOptions, events: BrokerLinkEvents) {
    this.url = redactRedisUrl(options.url);
    this.role = options.role;
    this.logger = options.logger;
    const cap = options.maxRetryDelayMs ?? 1000;
    this.redis = new Redis({
      ...parseRedisUrl(options.url),
      connectionName: `tickstream-${options.role}`,
      retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times - 1, 10), cap),
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      disableClientInfo: true,
      connectTimeout: 5000,
      keepAlive: 5000,
    });
    this.redis.on('error', (err: Error) => {
      this.lastError = err.message;
      this.markDown();
    });
    this.redis.on('close', () => {
      this.markDown();
      if (this.up) {
        this.up = false;
        events.down();
      }
    });
    this.redis.on('ready', () => {
      const wasDown = this.downSince;
      if (this.everReady) this.reconnects++;
      if (wasDown !== null && this.everReady) this.logger?.info({ broker: this.url, role: this.role, downMs: Date.now() - wasDown }, 'broker reachable again');
      else if (wasDown !== null) this.logger?.info({ broker: this.url, role: this.role }, 'broker reachable');
      this.everReady = true;
      this.downSince = null;
      this.lastError = undefined;
      this.up = true;
      events.ready();
    });
  }

  get ready(): boolean {
    return this.redis.status === 'ready';
  }

  /** Why the broker cannot be used now, or undefined when it can. */
  unreachableReason(): string | undefined {
    if (this.ready) return undefined;
    if (this.lastError === undefined && !this.everReady) return 'connecting to the broker';
    return `broker unreachable: ${this.lastError ?? 'connection lost'}`;
  }

  /** Quits politely (bounded wait), then drops the socket; no more reconnects. */
  async close(graceful = true): Promise<void> {
    this.closing = true;
    if (graceful && this.ready) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        this.redis.quit().catch(() => undefined),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_TIMEOUT_MS))),
      ]);
      clearTimeout(timer);
    }
    this.redis.disconnect();
  }

  /** Records (and logs, once) the start of an outage. */
  private markDown(): void {
    // An 'error' can precede the 'close' of a connection that is still 'ready': wait for the close.
    if (this.closing || this.downSince !== null || this.ready) return;
    this.downSince = Date.now();
    this.logger?.warn(
      { broker: this.url, role: this.role, error: this.lastError },
      this.everReady ? 'broker connection lost, reconnecting' : 'broker unreachable, retrying',
    );
  }
}
