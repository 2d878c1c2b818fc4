/**
 * When a client keeps reconnecting and when it gives up: a failure in, a decision out. Pure (no I/O,
 * the clock only through `now`) and browser-safe, so both the SDK and `tickstream watch` (through
 * src/app/watch-retry.ts, which adds the watcher's advice) use this one table.
 *
 * Retrying makes sense when the server may well accept us a moment later (it restarts, it is full,
 * the network dropped); it does not when the answer will be the same until a human changes
 * something (a token, the URL, a certificate): then the decision names the cause.
 */
import { TOKEN_EXPIRED_CLOSE_CODE } from '../wire/limits.js';

/** Why a connection attempt failed or a connection ended. */
export type ConnectFailure =
  /** The server answered the upgrade with an HTTP status instead of 101 (only visible outside browsers). */
  | {
      kind: 'http';
      status: number;
      statusText?: string | undefined;
      /** The server's reason (the start of its plain-text body), already cleaned. */
      reason?: string | undefined;
      /** The Retry-After field as sent. */
      retryAfter?: string | undefined;
      /** The Location field of a redirect. */
      location?: string | undefined;
    }
  /** An open connection ended with this close code (1006 when the TCP connection just dropped). */
  | { kind: 'close'; code: number; reason: string }
  /** No HTTP answer at all: refused, reset, timed out, DNS, TLS, or a browser that does not say. `code` is Node's error code. */
  | { kind: 'network'; message: string; code?: string | undefined };

export interface RetryContext {
  /** A token was presented: a 401 then means it was not accepted (rather than missing). */
  tokenGiven: boolean;
  /** ms since the epoch, for an HTTP-date Retry-After. */
  now?: number;
}

/** Why retrying cannot help: stable, machine-readable; the SDK and the watcher each word it their way. */
export type StopCause =
  | 'token_missing'
  | 'token_refused'
  | 'token_expired'
  | 'forbidden'
  | 'bad_request'
  | 'not_found'
  | 'upgrade_required'
  | 'redirect'
  | 'not_websocket'
  | 'protocol_error'
  | 'unsupported_data'
  | 'invalid_data'
  | 'message_too_big'
  | 'extension_required'
  | 'untrusted_certificate'
  | 'invalid_certificate'
  | 'not_tls';

export type FailureDecision =
  /** Reconnect; after `delayMs` when the server said when (Retry-After), else with the usual backoff. */
  | { retry: true; what: string; delayMs?: number }
  /** Stop: `what` happened, for the reason `cause`. */
  | { retry: false; what: string; cause: StopCause };

/** A Retry-After longer than this is capped: a client keeps trying at least once a minute. */
export const MAX_RETRY_AFTER_MS = 60_000;

/** Close codes after which reconnecting cannot help (the same client would be refused the same way). */
const FINAL_CLOSE_CODES: ReadonlyMap<number, StopCause> = new Map<number, StopCause>([
  [1002, 'protocol_error'],
  [1003, 'unsupported_data'],
  [1007, 'invalid_data'],
  [1009, 'message_too_big'],
  [1010, 'extension_required'],
  // 3000/3003: the IANA-registered "Unauthorized" / "Forbidden" codes some proxies and servers use.
  [3000, 'token_refused'],
  [3003, 'forbidden'],
  [TOKEN_EXPIRED_CLOSE_CODE, 'token_expired'],
  [4003, 'forbidden'],
]);

/** TLS errors that mean "this certificate is not trusted here"; retrying gets the same certificate. */
const UNTRUSTED_CERT_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
  'CERT_REJECTED',
]);
const INVALID_CERT_CODES = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'CERT_REVOKED', 'ERR_TLS_CERT_ALTNAME_INVALID']);

/** Decides whether a client reconnects after `failure`. See the table in docs/client.md and docs/operations.md. */
export function classifyFailure(failure: ConnectFailure, context: RetryContext): FailureDecision {
  const what = describeFailure(failure);
  switch (failure.kind) {
    case 'http':
      return httpDecision(failure, what, context);
    case 'close': {
      const cause = FINAL_CLOSE_CODES.get(failure.code);
      return cause === undefined ? { retry: true, what } : { retry: false, what, cause };
    }
    case 'network': {
      const code = failure.code ?? '';
      if (UNTRUSTED_CERT_CODES.has(code)) {
        return { retry: false, what: `the server's TLS certificate is not trusted (${failure.message})`, cause: 'untrusted_certificate' };
      }
      if (INVALID_CERT_CODES.has(code)) {
        return { retry: false, what: `the server's TLS certificate is not valid here (${failure.message})`, cause: 'invalid_certificate' };
      }
      if (code === 'ERR_SSL_WRONG_VERSION_NUMBER') return { retry: false, what: `TLS failed (${failure.message})`, cause: 'not_tls' };
      return { retry: true, what };
    }
  }
}

function httpDecision(failure: Extract<ConnectFailure, { kind: 'http' }>, what: string, context: RetryContext): FailureDecision {
  const status = failure.status;
  if (status === 429 || status === 408 || status >= 500) {
    const delayMs = parseRetryAfter(failure.retryAfter, context.now ?? Date.now());
    return delayMs === undefined ? { retry: true, what } : { retry: true, what, delayMs };
  }
  let cause: StopCause;
  if (status === 401) {
    cause = !context.tokenGiven ? 'token_missing' : /expired/i.test(failure.reason ?? '') ? 'token_expired' : 'token_refused';
  } else if (status === 403) cause = 'forbidden';
  else if (status === 400) cause = 'bad_request';
  else if (status === 404) cause = 'not_found';
  else if (status === 426) cause = 'upgrade_required';
  else if (status >= 300 && status < 400) cause = 'redirect';
  else cause = 'not_websocket';
  return { retry: false, what, cause };
}

/** One line naming the failure, e.g. "HTTP 401 Unauthorized: missing token", "closed 1001 server shutting down". */
export function describeFailure(failure: ConnectFailure): string {
  switch (failure.kind) {
    case 'http': {
      const head = `HTTP ${failure.status}${failure.statusText ? ' ' + failure.statusText : ''}`;
      return failure.reason ? `${head}: ${failure.reason}` : head;
    }
    case 'close':
      return `closed ${failure.code}${failure.reason ? ' ' + failure.reason : ''}`;
    case 'network':
      return failure.message;
  }
}

/**
 * Retry-After (RFC 9110 10.2.3): delay-seconds or an HTTP-date, in ms from `now`, capped at
 * {@link MAX_RETRY_AFTER_MS}. Undefined when absent, unparsable or zero (the usual backoff applies).
 */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  let ms: number;
  if (/^\d+$/.test(text)) ms = Number(text) * 1000;
  else {
    const at = Date.parse(text);
    if (Number.isNaN(at)) return undefined;
    ms = at - now;
  }
  if (!(ms > 0)) return undefined;
  return Math.min(ms, MAX_RETRY_AFTER_MS);
}

/**
 * The server's reason from a refusal's body: the first non-empty line of a plain-text body, without
 * control characters (a server must not be able to move a terminal's cursor), at most 200
 * characters. HTML error pages (proxies) say nothing useful in one line and are ignored.
 */
export function reasonFromBody(body: string, contentType: string | undefined): string | undefined {
  if (contentType !== undefined && !/^text\/plain\b/i.test(contentType.trim())) return undefined;
  const line = body.split(/\r?\n/).find((l) => l.trim() !== '');
  if (line === undefined) return undefined;
  const clean = cleanText(line);
  return clean === '' ? undefined : clean;
}

/** Control characters out (C0, DEL, C1), whitespace collapsed, at most `max` characters. */
export function cleanText(text: string, max = 200): string {
  const clean = text.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ').replace(/\s+/g, ' ').trim();
  return clean.length > max ? clean.slice(0, max - 1) + '…' : clean;
}
