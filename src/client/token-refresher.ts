/**
 * In-band refresh of one connection's JWT: shortly before the token's `exp`, a new token from
 * getToken goes to the server as a `refresh` command, so the connection outlives its first token
 * instead of being closed with 4001. One refresher per live connection; stopped when it ends.
 */
import { jwtExpiry, refreshDelay } from './token.js';

export interface TokenRefresherHooks {
  getToken: () => Promise<string> | string;
  /** How long before `exp` to refresh (at most half of what is left). */
  aheadMs: number;
  /** Sends the refresh command; resolves with the new expiry the server applies, rejects when refused. */
  send(token: string): Promise<{ expiresAt: number | null }>;
  /** getToken failed (a refused refresh is reported by whoever received the server's error). */
  onTokenError(message: string, cause: unknown): void;
}

export class TokenRefresher {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;

  constructor(private readonly hooks: TokenRefresherHooks) {}

  /** Starts with the token the connection presented (nothing to do unless it is a JWT with `exp`). */
  start(token: string): void {
    this.schedule(jwtExpiry(token));
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private schedule(expiresAt: number | null | undefined): void {
    clearTimeout(this.timer);
    if (this.stopped || expiresAt === undefined || expiresAt === null) return;
    const delay = refreshDelay(expiresAt, Date.now(), this.hooks.aheadMs);
    // Too late to bother: the server closes with 4001 and the reconnect gets a new token anyway.
    if (delay === undefined) return;
    this.timer = setTimeout(() => void this.refresh(expiresAt), delay);
  }

  private async refresh(expiresAt: number): Promise<void> {
    let token: string;
    try {
      token = await this.hooks.getToken();
      if (typeof token !== 'string' || token === '') throw new TypeError('getToken must return a non-empty string');
    } catch (error) {
      if (this.stopped) return;
      this.hooks.onTokenError(`getToken failed: ${error instanceof Error ? error.message : String(error)}`, error);
      this.schedule(expiresAt); // again, at half the time left
      return;
    }
    if (this.stopped) return;
    try {
      const result = await this.hooks.send(token);
      this.schedule(result.expiresAt);
    } catch {
      // Refused, or the connection closed: while the old token lasts, try again later.
      this.schedule(expiresAt);
    }
  }
}
