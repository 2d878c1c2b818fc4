/**
 * The client's socket over the platform WebSocket (browsers, Deno, Bun, Node 22+). The platform hides
 * why a connection failed (an HTTP 401 and a refused TCP connection both look like close 1006), so a
 * failure before the socket opened is reported as a network failure and retried with backoff.
 */
import type { ClientSocket, SocketFactory, SocketHandlers, SocketRequest } from './socket.js';

/** The members of the WHATWG WebSocket the client uses (the DOM types are not assumed to be loaded). */
export interface PlatformWebSocket {
  readonly readyState: number;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export type PlatformWebSocketConstructor = new (url: string) => PlatformWebSocket;

export interface BrowserSocketOptions {
  /** The WebSocket class to use. Default: globalThis.WebSocket. */
  WebSocket?: PlatformWebSocketConstructor;
}

/** A SocketFactory over the platform WebSocket; the token goes in `?token=` (browsers cannot set Authorization). */
export function browserSocket(options: BrowserSocketOptions = {}): SocketFactory {
  return (request, handlers) => {
    const Ctor = options.WebSocket ?? (globalThis as unknown as { WebSocket?: PlatformWebSocketConstructor }).WebSocket;
    if (Ctor === undefined) {
      return failed(handlers, 'this platform has no WebSocket: pass a socket factory (on Node, import tickstream/client from Node)');
    }
    let ws: PlatformWebSocket;
    try {
      ws = new Ctor(withToken(request));
    } catch (error) {
      // A malformed URL or a blocked port throws synchronously (SyntaxError / SecurityError).
      return failed(handlers, `cannot open a WebSocket: ${error instanceof Error ? error.message : String(error)}`);
    }
    return platformSocket(ws, handlers);
  };
}

function withToken(request: SocketRequest): string {
  if (request.token === undefined) return request.url;
  const url = new URL(request.url);
  url.searchParams.set('token', request.token);
  return url.href;
}

function platformSocket(ws: PlatformWebSocket, handlers: SocketHandlers): ClientSocket {
  let opened = false;
  let done = false;
  const detach = (): void => {
    done = true;
    ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
  };
  ws.onopen = () => {
    opened = true;
    if (!done) handlers.onOpen();
  };
  ws.onmessage = (event) => {
    if (!done && typeof event.data === 'string') handlers.onMessage(event.data);
  };
  // The error event carries nothing useful and is always followed by close.
  ws.onerror = () => {};
  ws.onclose = (event) => {
    if (done) return;
    detach();
    handlers.onClose(
      opened
        ? { kind: 'close', code: event.code, reason: event.reason }
        : { kind: 'network', message: `could not connect (the browser does not say why; close ${event.code})` },
    );
  };
  return {
    send: (text) => ws.send(text),
    close: (code, reason) => {
      detach();
      try {
        // Browsers only accept 1000 and 3000-4999 here; anything else would throw.
        ws.close(code === 1000 || (code >= 3000 && code <= 4999) ? code : 1000, reason);
      } catch {
        /* already closing */
      }
    },
  };
}

/** A socket that failed before it existed: reports onClose asynchronously, like a real failed connection. */
function failed(handlers: SocketHandlers, message: string): ClientSocket {
  let closed = false;
  queueMicrotask(() => {
    if (!closed) handlers.onClose({ kind: 'network', message });
  });
  return {
    send: () => {},
    close: () => {
      closed = true;
    },
  };
}
