/**
 * When `tickstream watch` keeps reconnecting and when it gives up. The classification itself lives in
 * the client SDK (src/client/retry.ts), shared with TickstreamClient; this file re-exports it under
 * the watcher's names and words each stop cause as advice for the command line (flags, env vars).
 *
 * Retrying makes sense when the server may well accept us a moment later (it restarts, it is full,
 * the network dropped); it does not when the answer will be the same until a human changes
 * something (a token, the URL, a certificate): then the watcher says what and exits 1.
 */
import { classifyFailure, type ConnectFailure, type RetryContext, type StopCause } from '../client/retry.js';

export { cleanText, describeFailure, MAX_RETRY_AFTER_MS, parseRetryAfter, reasonFromBody, type RetryContext } from '../client/retry.js';

/** Why a connection attempt failed or a connection ended. */
export type WatchFailure = ConnectFailure;

export type RetryDecision =
  /** Reconnect; after `delayMs` when the server said when (Retry-After), else with the usual backoff. */
  | { retry: true; what: string; delayMs?: number }
  /** Stop: `what` happened, `advice` says what the user can do about it. */
  | { retry: false; what: string; advice: string };

const EXPIRED = 'the token has expired: get a new token and start the watcher again with it (TICKSTREAM_AUTH_TOKEN or --token)';

/** The watcher's advice per stop cause; a function where the failure's details matter. */
const ADVICE: Record<StopCause, string | ((failure: WatchFailure) => string)> = {
  token_missing: 'the server requires a token: set TICKSTREAM_AUTH_TOKEN=TOKEN (or pass --token TOKEN)',
  // A close 3000 means the credentials were refused after the upgrade; a 401 that the token was not accepted.
  token_refused: (failure) =>
    failure.kind === 'close'
      ? 'the server refused the credentials; check --token / TICKSTREAM_AUTH_TOKEN'
      : 'the token was not accepted: check it, or get a new one (TICKSTREAM_AUTH_TOKEN or --token)',
  token_expired: EXPIRED,
  forbidden: (failure) =>
    failure.kind === 'http'
      ? 'the server refuses this client (origin or entitlement); ask the server operator for access'
      : 'this client is not allowed to watch this stream; ask the server operator for access',
  bad_request: 'the server did not accept the request: check the symbols and --interval',
  not_found: "check the URL's path (tickstream serves WebSocket on / and /ws)",
  upgrade_required: 'the server wants another protocol: check the URL (ws:// or wss://) and any proxy in between',
  redirect: (failure) =>
    failure.kind === 'http' && failure.location ? `the server redirects to ${failure.location}: watch that URL instead` : 'the server redirects: check the URL',
  not_websocket: 'this is not a WebSocket endpoint that admits the watcher: check the URL',
  protocol_error: 'the server and the watcher disagree on the WebSocket protocol; please report this with both versions',
  unsupported_data: 'the server cannot accept the data this client sends; please report this with both versions',
  invalid_data: 'a message was not valid UTF-8 / JSON; please report this with both versions',
  message_too_big: 'a message was larger than the other side accepts; watch fewer symbols',
  extension_required: 'the server requires a WebSocket extension the watcher does not offer',
  untrusted_certificate: 'if the server uses a private or self-signed CA, pass its PEM bundle with --ca FILE',
  invalid_certificate: 'connect with a host name the certificate names, or have the certificate renewed',
  not_tls: 'the port does not speak TLS: use ws:// instead of wss://',
};

/** Decides whether the watcher reconnects after `failure`. See the table in docs/operations.md. */
export function retryDecision(failure: WatchFailure, context: RetryContext): RetryDecision {
  const decision = classifyFailure(failure, context);
  if (decision.retry) return decision;
  const advice = ADVICE[decision.cause];
  return { retry: false, what: decision.what, advice: typeof advice === 'string' ? advice : advice(failure) };
}
