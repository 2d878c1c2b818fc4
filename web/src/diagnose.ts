// Why did a WebSocket connection fail? Browsers deliberately hide the cause (every failed handshake is
// "1006" with no reason), so the console asks the server over plain HTTP instead:
//   1. GET /healthz on the same host and port, over the scheme that matches ws:// or wss:// —
//      nothing answers: refused (or unreachable); only the other scheme answers: ws/wss mismatch;
//   2. the path: this server upgrades only / and /ws (404 otherwise);
//   3. GET /sse with the URL's own query (symbols, interval, token): the same admission as the
//      WebSocket upgrade (docs/api.md), so its status is what the upgrade got: 400, 401, 403, 429, 503.
// Only a page on the same origin (or a server that allows it with CORS) can read these answers; for
// another origin the console can still tell "nothing listening" from "something answered".

/** The WebSocket paths tickstream upgrades (src/app/websocket-endpoint.ts). */
const WEBSOCKET_PATHS = ['/', '/ws'];
const PROBE_TIMEOUT_MS = 4000;

const STATUS_TEXT: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

type Probe =
  | { kind: 'answer'; status: number; body: string; headers: Headers }
  /** Something answered, but this page may not read it (another origin without CORS). */
  | { kind: 'opaque' }
  | { kind: 'failed' };

async function probe(url: string, stream = false): Promise<Probe> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), PROBE_TIMEOUT_MS);
  try {
    const response = await fetch(url, { cache: 'no-store', signal: controller.signal, credentials: 'omit' });
    // An admitted /sse request is an endless event stream: the status is all we need.
    const body = stream && response.ok ? '' : await response.text().catch(() => '');
    return { kind: 'answer', status: response.status, body, headers: response.headers };
  } catch {
    // Unreadable (CORS) or no answer at all: a no-cors request tells them apart.
    try {
      await fetch(url, { mode: 'no-cors', cache: 'no-store', signal: controller.signal, credentials: 'omit' });
      return { kind: 'opaque' };
    } catch {
      return { kind: 'failed' };
    }
  } finally {
    clearTimeout(timer);
    controller.abort(); // ends an admitted /sse stream at once
  }
}

function statusLine(status: number): string {
  return `${status}${STATUS_TEXT[status] === undefined ? '' : ` ${STATUS_TEXT[status]}`}`;
}

/** The refusal message a tickstream server sent (plain text, or JSON with `message`). */
function reasonOf(body: string): string {
  const text = body.trim();
  if (text.startsWith('{')) {
    try {
      const parsed = JSON.parse(text) as { message?: unknown };
      if (typeof parsed.message === 'string') return parsed.message;
    } catch {
      /* not JSON after all */
    }
  }
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

function hintFor(status: number, reason: string, hasToken: boolean): string {
  switch (status) {
    case 401:
      return hasToken ? 'the token was refused: check it, or get a new one' : 'token required: add ?token=… to the address';
    case 403:
      return /origin/i.test(reason) ? 'this page’s origin is not allowed (--allowed-origins)' : 'not allowed';
    case 429:
      return 'too many connections or handshakes from this address or user';
    case 400:
      return 'fix the URL parameters (symbols, interval, since)';
    case 503:
      return 'the server is full, shutting down, or cannot verify tokens now';
    default:
      return '';
  }
}

/** A one-line explanation of why `ws(s)://address` could not be opened. */
export async function diagnoseFailure(wsUrl: string): Promise<string> {
  let target: URL;
  try {
    target = new URL(wsUrl);
  } catch {
    return `not a valid address: ${wsUrl}`;
  }
  const secure = target.protocol === 'wss:';
  const http = `${secure ? 'https' : 'http'}://${target.host}`;
  const other = `${secure ? 'http' : 'https'}://${target.host}`;

  const health = await probe(`${http}/healthz`);
  if (health.kind === 'failed') {
    const otherHealth = await probe(`${other}/healthz`);
    if (otherHealth.kind !== 'failed') {
      return secure
        ? `wss:// against a plain-HTTP port? ${target.host} answers http://, not https://: choose ws://`
        : `ws:// against a TLS port? ${target.host} answers https:// only: choose wss://`;
    }
    return secure
      ? `connection refused or TLS failed (nothing listening on ${target.host}, the host is unreachable, or its certificate is not trusted: open ${http}/healthz to check)`
      : `connection refused (nothing listening on ${target.host}, or the host is unreachable)`;
  }
  if (health.kind === 'opaque') {
    return `${target.host} answers HTTP, but this page may not read the answers of another origin (no CORS): the server's log says why it refused the upgrade`;
  }

  let isTickstream = false;
  try {
    isTickstream = (JSON.parse(health.body) as { server?: unknown }).server === 'tickstream';
  } catch {
    /* not our JSON: another kind of server */
  }
  if (!isTickstream) {
    const page = await probe(`${http}${target.pathname}${target.search}`);
    const status = page.kind === 'answer' ? ` (GET ${target.pathname} answers ${statusLine(page.status)})` : '';
    return `${target.host} is an HTTP server but not a tickstream server${status}: is this the right port?`;
  }
  if (!WEBSOCKET_PATHS.includes(target.pathname)) {
    return `refused: 404 Not Found (no WebSocket endpoint at ${target.pathname}; this server upgrades / and /ws)`;
  }
  if (health.status === 503) {
    return `refused: 503 Service Unavailable (${reasonOf(health.body) || 'the server cannot serve the stream now'})`;
  }

  const admission = await probe(`${http}/sse${target.search}`, true);
  if (admission.kind === 'answer' && admission.status >= 400) {
    const reason = reasonOf(admission.body);
    const retry = admission.headers.get('retry-after');
    const hint = hintFor(admission.status, reason, target.searchParams.has('token'));
    const details = [reason, hint, retry === null ? '' : `retry after ${retry} s`].filter((t) => t !== '').join('; ');
    return `refused: ${statusLine(admission.status)}${details === '' ? '' : ` (${details})`}`;
  }
  return `the server at ${target.host} is up and admits this request over HTTP, yet the WebSocket handshake failed: a proxy that drops Upgrade, a connection limit, or a network cut (the server's log has the reason)`;
}
