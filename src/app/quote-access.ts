import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJson } from './http-reply.js';

/** Which quotes a REST request may read (JWT entitlements), or why it may read none. */
export type QuoteAccess = (
  req: IncomingMessage,
  url: URL,
) => Promise<{ all: boolean; allows(symbol: string): boolean } | { status: number; message: string; headers: Record<string, string> }>;

/**
 * Which symbols the request may read: undefined for every symbol, a filter for a restricted token,
 * or null once a refusal (401, 403, 503) has been answered.
 */
export async function readQuoteAccess(
  ctx: { readonly quoteAccess?: QuoteAccess | undefined },
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<{ allows(symbol: string): boolean } | undefined | null> {
  if (ctx.quoteAccess === undefined) return undefined;
  const verdict = await ctx.quoteAccess(req, url);
  if ('status' in verdict) {
    for (const [name, value] of Object.entries(verdict.headers)) res.setHeader(name, value);
    const error = verdict.status === 401 ? 'unauthorized' : verdict.status === 503 ? 'auth_unavailable' : 'refused';
    sendJson(res, verdict.status, { error, message: verdict.message }, req);
    return null;
  }
  return verdict.all ? undefined : verdict;
}
