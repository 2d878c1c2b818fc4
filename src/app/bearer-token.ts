import type { IncomingHttpHeaders } from 'node:http';

/**
 * The token a request presents: `Authorization: Bearer TOKEN`, else the `token` query parameter
 * (browsers cannot set headers on a WebSocket, so the query is their only way).
 */
export function presentedToken(headers: IncomingHttpHeaders, url: URL): string | undefined {
  const header = headers.authorization;
  if (header !== undefined) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (match) return match[1];
  }
  const query = url.searchParams.get('token');
  return query === null || query.trim() === '' ? undefined : query.trim();
}

/** The challenge a 401 carries (RFC 6750 section 3). */
export const BEARER_CHALLENGE = 'Bearer realm="tickstream"';
