import type { IncomingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import type { HttpHead } from '../protocol/http-head.js';

/**
 * What the server knows about an upgrade request: Node's IncomingMessage has this shape, and so has the
 * lighter object the fast path builds from its own head parser (see fast-upgrade.ts).
 */
export interface UpgradeRequest {
  method?: string | undefined;
  url?: string | undefined;
  httpVersion: string;
  headers: IncomingHttpHeaders;
  /** Every field as sent (name, value, name, value ...): the only place a repeated Host still shows. */
  rawHeaders: string[];
  socket: Socket;
}

/** Headers as Node presents them: lower-case names, repeated fields joined with ", " (set-cookie kept as a list). */
export function upgradeRequestFromHead(head: HttpHead, socket: Socket): UpgradeRequest {
  const headers: IncomingHttpHeaders = {};
  const rawHeaders: string[] = [];
  for (const [name, values] of head.headers) {
    if (name === 'set-cookie') headers['set-cookie'] = values;
    else headers[name] = values.length === 1 ? values[0] : values.join(', ');
    for (const value of values) rawHeaders.push(name, value);
  }
  return { method: head.method, url: head.url, httpVersion: head.httpVersion, headers, rawHeaders, socket };
}
