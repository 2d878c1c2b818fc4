/**
 * Text for logs and statuses. Upstream URLs may carry a key (Finnhub takes `?token=KEY`): whatever is logged, reported as a
 * status reason or shown in an error goes through redactSecrets first, which keeps the host and
 * path (what an operator needs to see) and replaces credentials with `***`.
 */
const SECRET_QUERY = /([?&](?:token|key|secret|apikey|api_key|api-key|access_token|password|sig|signature)=)[^&#]*/gi;
const USER_INFO = /^([a-z][a-z0-9+.-]*:\/\/)[^@/?#]*@/i;

export function redactSecrets(url: string): string {
  return url.replace(USER_INFO, '$1***@').replace(SECRET_QUERY, '$1***');
}

/** Whether a URL carries credentials (user info, or a query parameter named like a key). */
export function hasSecrets(url: string): boolean {
  return redactSecrets(url) !== url;
}

/** `host[:port]` of a URL, for messages ('' when it does not parse). */
export function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '';
  }
}

/** "400 ms", "12 s", "10 min". */
export function describeDelay(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${Math.round(ms / 1000)} s`;
  return `${Math.round(ms / 60_000)} min`;
}
