/**
 * The client's socket over Server-Sent Events (docs/api.md, "SSE"), for networks where WebSocket is
 * blocked: the same messages come as a `text/event-stream` from GET /sse, commands go as POSTs to the
 * session's commands URL. Built on `fetch` and a streaming body, which browsers and Node 20+ both
 * have, so one implementation serves both (and, unlike EventSource, it can send Authorization).
 * Browser-safe: no Node APIs.
 */
import type { ConnectFailure } from './retry.js';
import type { ClientSocket, SocketFactory, SocketHandlers } from './socket.js';

type FetchFunction = (input: string, init?: { method?: string; headers?: Record<string, string>; body?: string; signal?: AbortSignal }) => Promise<{
  ok: boolean;
  status: number;
  statusText: string;
  headers: { get(name: string): string | null };
  text(): Promise<string>;
  body: unknown;
}>;

export interface SseSocketOptions {
  /** The fetch to use. Default: globalThis.fetch. */
  fetch?: FetchFunction;
}

/** A SocketFactory over SSE; the token goes in `Authorization: Bearer` (fetch can set headers). */
export function sseSocket(options: SseSocketOptions = {}): SocketFactory {
  return (request, handlers) => {
    const fetchFn = options.fetch ?? (globalThis as unknown as { fetch?: FetchFunction }).fetch;
    const controller = new AbortController();
    let done = false;
    let commands: string | undefined;
    const finish = (failure: ConnectFailure): void => {
      if (done) return;
      done = true;
      controller.abort();
      handlers.onClose(failure);
    };
    if (fetchFn === undefined) {
      queueMicrotask(() => finish({ kind: 'network', message: 'this platform has no fetch: SSE is not available' }));
    } else {
      const url = sseUrl(request.url);
      const headers: Record<string, string> = { accept: 'text/event-stream' };
      if (request.token !== undefined) headers['authorization'] = `Bearer ${request.token}`;
      fetchFn(url, { headers, signal: controller.signal }).then(
        async (res) => {
          if (!res.ok) {
            const reason = (await res.text().catch(() => '')).slice(0, 300);
            return finish({ kind: 'http', status: res.status, statusText: res.statusText, reason, retryAfter: res.headers.get('retry-after') ?? undefined });
          }
          if (done) return;
          handlers.onOpen();
          await readEvents(res.body as AsyncIterable<Uint8Array>, (event, data) => {
            if (done) return;
            if (event === 'session') commands = new URL((JSON.parse(data) as { commands: string }).commands, url).href;
            else if (event === 'close') {
              const { code, reason } = JSON.parse(data) as { code: number; reason: string };
              finish({ kind: 'close', code, reason });
            } else if (event === 'message') handlers.onMessage(data);
          });
          finish({ kind: 'close', code: 1006, reason: '' }); // the stream ended without a close event
        },
        (error: unknown) => finish({ kind: 'network', message: `SSE: ${error instanceof Error ? error.message : String(error)}` }),
      ).catch((error: unknown) => finish({ kind: 'network', message: `SSE: ${error instanceof Error ? error.message : String(error)}` }));
    }
    return {
      send(text) {
        if (done || commands === undefined || fetchFn === undefined) return;
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (request.token !== undefined) headers['authorization'] = `Bearer ${request.token}`;
        // Replies come on the stream; a failed POST means the stream is ending too, which it reports.
        fetchFn(commands, { method: 'POST', headers, body: text }).then((res) => res.text(), () => undefined).catch(() => undefined);
      },
      close() {
        done = true;
        controller.abort();
      },
    };
  };
}

/**
 * Tries `primary` (a WebSocket) and, when it fails before opening for a network reason (a proxy that
 * drops the upgrade, a firewall, a blocked port — not an HTTP refusal such as 401), SSE in the same
 * attempt. Once SSE worked where WebSocket did not, later connections go to SSE directly, trying
 * WebSocket again every `retryWebSocketEvery` connections.
 */
export function withSseFallback(primary: SocketFactory, fallback: SocketFactory = sseSocket(), retryWebSocketEvery = 10): SocketFactory {
  let preferSse = false;
  let sinceSwitch = 0;
  return (request, handlers) => {
    if (preferSse && ++sinceSwitch % retryWebSocketEvery !== 0) return fallback(request, handlers);
    let current: ClientSocket | undefined;
    let opened = false;
    let closed = false;
    const onSse: SocketHandlers = {
      onOpen: () => {
        preferSse = true;
        handlers.onOpen();
      },
      onMessage: (text) => handlers.onMessage(text),
      onClose: (failure) => handlers.onClose(failure),
    };
    current = primary(request, {
      onOpen: () => {
        opened = true;
        preferSse = false;
        handlers.onOpen();
      },
      onMessage: (text) => handlers.onMessage(text),
      onClose: (failure) => {
        if (!opened && !closed && failure.kind === 'network') current = fallback(request, onSse);
        else handlers.onClose(failure);
      },
    });
    return {
      send: (text) => current?.send(text),
      close: (code, reason, abort) => {
        closed = true;
        current?.close(code, reason, abort);
      },
    };
  };
}

/** ws(s)://host/ws?query → http(s)://host/sse?query (the same parameters: symbols, interval, since). */
function sseUrl(wsUrl: string): string {
  const url = new URL(wsUrl);
  url.protocol = url.protocol === 'wss:' ? 'https:' : 'http:';
  url.pathname = '/sse';
  return url.href;
}

/** Parses an event stream (UTF-8, events separated by a blank line) and calls `onEvent` per event with data. */
async function readEvents(body: AsyncIterable<Uint8Array>, onEvent: (event: string, data: string) => void): Promise<void> {
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) !== -1) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) event = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
      }
      if (data.length > 0) onEvent(event, data.join('\n'));
    }
  }
}
