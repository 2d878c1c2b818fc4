/**
 * Decides, before the WebSocket handshake completes, whether an upgrade request is admitted:
 * Origin allow-list (403), bearer token (401) and connect parameters (400). Pure: request in,
 * verdict out, so it is testable without sockets.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { UpgradeRequest } from '../transport/index.js';

export interface UpgradePolicyOptions {
  authToken?: string | undefined;
  allowedOrigins?: readonly string[] | undefined;
  /** The port serves https:// (the server's own pages then have an https origin). */
  tls?: boolean;
}

export type Refusal = { status: number; message: string };

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
      const presented = bearerToken(req) ?? url.searchParams.get('token');
      if (presented === null || presented === undefined) return { status: 401, message: 'missing token' };
      // Compare fixed-length digests so the comparison time does not leak the token's length or prefix.
      if (!timingSafeEqual(digest(presented), this.tokenDigest)) return { status: 401, message: 'invalid token' };
    }
    return undefined;
  }

  private isOwnOrigin(origin: string, host: string | undefined): boolean {
    return host !== undefined && normaliseOrigin(origin) === normaliseOrigin(this.ownScheme + host);
  }
}

/** Also used by the HTTP API: the same token protects nothing there, by design (read-only public data). */
function bearerToken(req: UpgradeRequest): string | undefined {
  const header = req.headers.authorization;
  if (header === undefined) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match ? match[1] : undefined;
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

function normaliseOrigin(origin: string): string {
  return origin.trim().replace(/\/+$/, '').toLowerCase();
}
