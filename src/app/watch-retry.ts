/**
 * When `tickstream watch` keeps reconnecting and when it gives up. Pure: a failure in, a decision
 * out (no I/O, the clock only through `now`), so the whole table is unit-testable.
 *
 * Retrying makes sense when the server may well accept us a moment later (it restarts, it is full,
 * the network dropped); it does not when the answer will be the same until a human changes
 * something (a token, the URL, a certificate): then the watcher says what and exits 1.
 */

/** Why a connection attempt failed or a connection ended. */
export type WatchFailure =
  /** The server answered the upgrade with an HTTP status instead of 101. */
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
  /** No HTTP answer at all: refused, reset, timed out, DNS, TLS. `code` is Node's error code. */
  | { kind: 'network'; message: string; code?: string | undefined };

export interface RetryContext {
  /** A token was presented (--token, TICKSTREAM_AUTH_TOKEN or ?token=): a 401 means it was not accepted. */
  tokenGiven: boolean;
  /** ms since the epoch, for an HTTP-date Retry-After. */
  now?: number;
}

export type RetryDecision =
  /** Reconnect; after `delayMs` when the server said when (Retry-After), else with the usual backoff. */
  | { retry: true; what: string; delayMs?: number }
  /** Stop: `what` happened, `advice` says what the user can do about it. */
  | { retry: false; what: string; advice: string };

/** A Retry-After longer than this is capped: the watcher keeps trying at least once a minute. */
export const MAX_RETRY_AFTER_MS = 60_000;

/** Close codes after which reconnecting cannot help, with what to tell the user. */
const FINAL_CLOSE_CODES: ReadonlyMap<number, string> = new Map([
  [1002, 'the server and the watcher disagree on the WebSocket protocol; please report this with both versions'],
  [1003, 'the server cannot accept the data this client sends; please report this with both versions'],
  [1007, 'a message was not valid UTF-8 / JSON; please report this with both versions'],
  [1009, 'a message was larger than the other side accepts; watch fewer symbols'],
  [1010, 'the server requires a WebSocket extension the watcher does not offer'],
  [3000, 'the server refused the credentials; check --token / TICKSTREAM_AUTH_TOKEN'],
  [3003, 'this client is not allowed to watch this stream; ask the server operator for access'],
  [4001, 'the token has expired: get a new token and start the watcher again with it (TICKSTREAM_AUTH_TOKEN or --token)'],
  [4003, 'this client is not allowed to watch this stream; ask the server operator for access'],
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

/** Decides whether the watcher reconnects after `failure`. See the table in docs/operations.md. */
export function retryDecision(failure: WatchFailure, context: RetryContext): RetryDecision {
  const what = describeFailure(failure);
  switch (failure.kind) {
    case 'http':
      return httpDecision(failure, what, context);
    case 'close': {
      const advice = FINAL_CLOSE_CODES.get(failure.code);
      return advice === undefined ? { retry: true, what } : { retry: false, what, advice };
    }
    case 'network': {
      const code = failure.code ?? '';
      if (UNTRUSTED_CERT_CODES.has(code)) {
        return {
          retry: false,
          what: `the server's TLS certificate is not trusted (${failure.message})`,
          advice: 'if the server uses a private or self-signed CA, pass its PEM bundle with --ca FILE',
        };
      }
      if (INVALID_CERT_CODES.has(code)) {
        return {
          retry: false,
          what: `the server's TLS certificate is not valid here (${failure.message})`,
          advice: 'connect with a host name the certificate names, or have the certificate renewed',
        };
      }
      if (code === 'ERR_SSL_WRONG_VERSION_NUMBER') {
        return { retry: false, what: `TLS failed (${failure.message})`, advice: 'the port does not speak TLS: use ws:// instead of wss://' };
      }
      return { retry: true, what };
    }
  }
}

function httpDecision(failure: Extract<WatchFailure, { kind: 'http' }>, what: string, context: RetryContext): RetryDecision {
  const status = failure.status;
  if (status === 429 || status === 408 || status >= 500) {
    const delayMs = parseRetryAfter(failure.retryAfter, context.now ?? Date.now());
    return delayMs === undefined ? { retry: true, what } : { retry: true, what, delayMs };
  }
  let advice: string;
  if (status === 401) {
    advice = !context.tokenGiven
      ? 'the server requires a token: set TICKSTREAM_AUTH_TOKEN=TOKEN (or pass --token TOKEN)'
      : /expired/i.test(failure.reason ?? '')
        ? 'the token has expired: get a new token and start the watcher again with it (TICKSTREAM_AUTH_TOKEN or --token)'
        : 'the token was not accepted: check it, or get a new one (TICKSTREAM_AUTH_TOKEN or --token)';
  } else if (status === 403) {
    advice = 'the server refuses this client (origin or entitlement); ask the server operator for access';
  } else if (status === 400) {
    advice = 'the server did not accept the request: check the symbols and --interval';
  } else if (status === 404) {
    advice = "check the URL's path (tickstream serves WebSocket on / and /ws)";
  } else if (status === 426) {
    advice = 'the server wants another protocol: check the URL (ws:// or wss://) and any proxy in between';
  } else if (status >= 300 && status < 400) {
    advice = failure.location ? `the server redirects to ${failure.location}: watch that URL instead` : 'the server redirects: check the URL';
  } else {
    advice = 'this is not a WebSocket endpoint that admits the watcher: check the URL';
  }
  return { retry: false, what, advice };
}

/** One line naming the failure, e.g. "HTTP 401 Unauthorized: missing token", "closed 1001 server shutting down". */
export function describeFailure(failure: WatchFailure): string {
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
 * control characters (a server must not be able to move our cursor), at most 200 characters. HTML
 * error pages (proxies) say nothing useful in one line and are ignored.
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
