/**
 * JWT authentication at the server's doors: the WebSocket upgrade, the REST quote snapshot and the
 * `refresh` command. The token comes from `Authorization: Bearer` or, for browsers (which cannot set
 * headers on a WebSocket), the `token` query parameter. Verification itself is src/auth; here the
 * outcome becomes HTTP answers (401 with `WWW-Authenticate: Bearer`, 503 when the key server is
 * down, 429 at the per-user cap) and the hub's SessionAuth.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { AuthError, UserConnections, createJwtVerifier, type JwtAuthOptions, type JwtVerifier, type Principal } from '../auth/index.js';
import { TokenRefusal, type SessionAuth } from '../hub/index.js';
import { BEARER_CHALLENGE, presentedToken } from './bearer-token.js';

export interface JwtGateOptions extends JwtAuthOptions {
  /** Most connections one user (`sub`) may hold at once; 0 = unlimited. */
  maxConnectionsPerUser?: number;
}

export interface GateRefusal {
  status: number;
  message: string;
  headers: Record<string, string>;
}

export type GateVerdict = { ok: true; principal: Principal } | ({ ok: false } & GateRefusal);

const UNAVAILABLE_RETRY_AFTER_SEC = '5';

export class JwtGate {
  readonly verifier: JwtVerifier;
  readonly users: UserConnections;

  private constructor(verifier: JwtVerifier, users: UserConnections) {
    this.verifier = verifier;
    this.users = users;
  }

  static async create(options: JwtGateOptions): Promise<JwtGate> {
    const { maxConnectionsPerUser, ...jwt } = options;
    return new JwtGate(await createJwtVerifier(jwt), new UserConnections(maxConnectionsPerUser ?? 0));
  }

  /** Verifies the token of a request (upgrade or REST); `forUpgrade` also applies the per-user cap. */
  async admit(headers: IncomingHttpHeaders, url: URL, forUpgrade: boolean): Promise<GateVerdict> {
    const token = presentedToken(headers, url);
    if (token === undefined) return { ok: false, ...challenge('missing_token', 'a bearer token is required') };
    let principal: Principal;
    try {
      principal = await this.verifier.verify(token);
    } catch (error) {
      const err = error instanceof AuthError ? error : new AuthError('invalid_token', 'token could not be verified');
      return { ok: false, ...challenge(err.reason, err.message) };
    }
    const limit = this.users.limitPerUser;
    if (forUpgrade && limit > 0 && this.users.count(principal.sub) >= limit) {
      return {
        ok: false,
        status: 429,
        message: `too many connections for this user (at most ${limit})`,
        headers: { 'Retry-After': '5' },
      };
    }
    return { ok: true, principal };
  }

  /** For the hub's `refresh` command: a token in, the new SessionAuth out (or a TokenRefusal). */
  readonly verifyForRefresh = async (token: string): Promise<SessionAuth> => {
    try {
      return sessionAuthOf(await this.verifier.verify(token));
    } catch (error) {
      if (error instanceof AuthError) {
        throw new TokenRefusal(error.reason === 'missing_token' ? 'invalid_token' : error.reason, error.message);
      }
      throw new TokenRefusal('invalid_token', 'token could not be verified');
    }
  };
}

/** The hub's view of a verified token. */
export function sessionAuthOf(principal: Principal): SessionAuth {
  const entitlements = principal.entitlements;
  return {
    sub: principal.sub,
    expiresAt: principal.expiresAt,
    all: entitlements.all,
    allows: (symbol) => entitlements.allows(symbol),
  };
}

/**
 * RFC 6750 section 3: 401 names the scheme, and says `invalid_token` when a token was presented but
 * refused; the key server being down is our fault, so 503 with a Retry-After instead.
 */
function challenge(reason: AuthError['reason'], message: string): GateRefusal {
  if (reason === 'auth_unavailable') {
    return { status: 503, message: `authentication unavailable: ${message}`, headers: { 'Retry-After': UNAVAILABLE_RETRY_AFTER_SEC } };
  }
  const value = reason === 'missing_token' ? BEARER_CHALLENGE : `${BEARER_CHALLENGE}, error="invalid_token", error_description="${quoteSafe(message)}"`;
  return { status: 401, message, headers: { 'WWW-Authenticate': value } };
}

function quoteSafe(text: string): string {
  return text.replace(/["\\\r\n]/g, ' ');
}
