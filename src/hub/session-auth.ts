/**
 * Per-session authentication: who the client is (its token's `sub`), which symbols it may receive
 * (its entitlements), and until when (`exp`). The hub does not verify tokens itself: the app hands
 * it a verified {@link SessionAuth} at attach time and a {@link TokenVerifier} for `refresh`, so
 * this layer knows nothing of JWT libraries.
 *
 * - Subscriptions and snapshots are filtered: a symbol outside the entitlements gets an error
 *   `forbidden_symbol` and is never sent.
 * - A session whose token expires is closed with 4001 "token expired", unless it sent a `refresh`
 *   with a newer token of the same user first. One sweep timer serves every session with an expiry.
 */
import type { Session } from './session.js';
import { TOKEN_EXPIRED_CLOSE_CODE, TOKEN_EXPIRED_REASON } from '../wire/index.js';
import { unrefTimer } from './limits.js';
import type { HubLogger } from './types.js';

/** A verified identity, as the app's auth layer produced it. */
export interface SessionAuth {
  /** The user (the token's `sub`). */
  readonly sub: string;
  /** When the token expires (ms since the epoch); null: it does not. */
  readonly expiresAt: number | null;
  /** Entitled to every symbol. */
  readonly all: boolean;
  allows(symbol: string): boolean;
}

/** Why a token was refused: also the `code` of the error message a refresh gets. */
export type TokenRefusalCode = 'invalid_token' | 'token_expired' | 'auth_unavailable';

/** Thrown (rejected) by a {@link TokenVerifier}. */
export class TokenRefusal extends Error {
  readonly code: TokenRefusalCode;
  constructor(code: TokenRefusalCode, message: string) {
    super(message);
    this.name = 'TokenRefusal';
    this.code = code;
  }
}

/** Verifies a token presented in a `refresh` command. Rejects with a {@link TokenRefusal}. */
export type TokenVerifier = (token: string) => Promise<SessionAuth>;


const EXPIRY_SWEEP_MS = 1_000;

/** Whether the session's entitlements restrict what it may receive. */
export function isRestricted(session: Session): boolean {
  return session.auth !== null && !session.auth.all;
}

/** Splits (resolved) symbols into those the session may receive and those it may not. */
export function splitEntitled(session: Session, symbols: Iterable<string>): { allowed: string[]; forbidden: string[] } {
  const auth = session.auth;
  if (auth === null || auth.all) return { allowed: [...symbols], forbidden: [] };
  const allowed: string[] = [];
  const forbidden: string[] = [];
  for (const symbol of symbols) (auth.allows(symbol) ? allowed : forbidden).push(symbol);
  return { allowed, forbidden };
}

/** Closes sessions whose token expired; one timer for all, running only while someone has an expiry. */
export class AuthExpiry {
  private readonly sessions = new Set<Session>();
  private timer: ReturnType<typeof setInterval> | null = null;
  private readonly logger: HubLogger | undefined;
  private readonly onExpired: ((session: Session) => void) | undefined;

  constructor(logger: HubLogger | undefined, onExpired?: (session: Session) => void) {
    this.logger = logger;
    this.onExpired = onExpired;
  }

  /** Starts (or updates) tracking after attach or a refresh. */
  track(session: Session): void {
    if (session.auth?.expiresAt == null) {
      this.untrack(session);
      return;
    }
    this.sessions.add(session);
    if (this.timer === null) this.timer = unrefTimer(setInterval(() => this.sweep(Date.now()), EXPIRY_SWEEP_MS));
  }

  untrack(session: Session): void {
    if (this.sessions.delete(session) && this.sessions.size === 0) this.stop();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  /** Closes every tracked session whose token has expired by `now`. */
  sweep(now: number): void {
    for (const session of this.sessions) {
      const expiresAt = session.auth?.expiresAt ?? null;
      if (expiresAt === null || now < expiresAt) continue;
      this.sessions.delete(session);
      if (session.closed) continue;
      this.logger?.info({ sub: session.auth?.sub }, 'token expired: closing');
      this.onExpired?.(session);
      session.closeRequestedAt = now;
      session.conn.close(TOKEN_EXPIRED_CLOSE_CODE, TOKEN_EXPIRED_REASON);
    }
    if (this.sessions.size === 0) this.stop();
  }
}
