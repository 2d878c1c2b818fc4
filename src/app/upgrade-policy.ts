/**
 * Decides, before the WebSocket handshake completes, whether an upgrade request is admitted:
 * Origin allow-list (403), bearer token (401) and connect parameters (400). Pure: request in,
 * verdict out, so it is testable without sockets.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { UpgradeRequest } from '../transport/index.js';
import { BEARER_CHALLENGE, presentedToken } from './bearer-token.js';

export interface UpgradePolicyOptions {
  authToken?: string | undefined;
  allowedOrigins?: readonly string[] | undefined;
  /** The port serves https:// (the server's own pages then have an https origin). */
  tls?: boolean;
}

export type Refusal = { status: number; message: string; headers?: Record<string, string> };

export class UpgradePolicy {
  private readonly tokenDigest: Buffer | undefined;
  private readonly origins: ReadonlySet<string> | undefined;
  private readonly ownScheme: string;

  constructor(options: UpgradePolicyOptions) {
    this.tokenDigest = options.authToken === undefined ? undefined : digest(options.authToken);
    this.origins =
      options.allowedOrigins === undefined ? undefined : new Set(options.allowedOrigins.map(normaliseOrigin));
    this.ownScheme = options.tls === true ? 'https://' : 'http://';
  }

  /** Undefined when admitted, otherwise the HTTP refusal to answer the upgrade with. */
  check(req: UpgradeRequest, url: URL): Refusal | undefined {
    if (this.origins !== undefined) {
      // Only browsers send Origin, and Origin checks exist to stop other web sites' pages from
      // connecting; a request without Origin (a program) is judged by the token alone.
      // The server's own pages (the dashboard, the console) are always admitted: their origin is the
      // very host the browser sent this request to.
      const origin = req.headers.origin;
      if (origin !== undefined && !this.origins.has(normaliseOrigin(origin)) && !this.isOwnOrigin(origin, req.headers.host)) {
        return { status: 403, message: `origin ${origin} is not allowed` };
      }
    }
    if (this.tokenDigest !== undefined) {
      const presented = presentedToken(req.headers, url);
      if (presented === undefined) return { status: 401, message: 'missing token', headers: { 'WWW-Authenticate': BEARER_CHALLENGE } };
      // Compare fixed-length digests so the comparison time does not leak the token's length or prefix.
      if (!timingSafeEqual(digest(presented), this.tokenDigest)) {
        return { status: 401, message: 'invalid token', headers: { 'WWW-Authenticate': `${BEARER_CHALLENGE}, error="invalid_token"` } };
      }
    }
    return undefined;
  }

  private isOwnOrigin(origin: string, host: string | undefined): boolean {
    return host !== undefined && normaliseOrigin(origin) === normaliseOrigin(this.ownScheme + host);
  }
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

function normaliseOrigin(origin: string): string {
  return origin.trim().replace(/\/+$/, '').toLowerCase();
}
