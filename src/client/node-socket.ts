/**
 * The client's socket over tickstream's own Node WebSocket client. Unlike a browser it sees why an
 * upgrade was refused (the HTTP status, Retry-After, the server's reason), so the client can stop on
 * a 401 and wait as long as a 503 asks.
 */
import type { ConnectionOptions as TlsOptions } from 'node:tls';
import { HandshakeRefusedError } from '../protocol/handshake-client.js';
import { connect } from '../transport/client.js';
import type { WebSocketConnection } from '../transport/connection.js';
import { cleanText, reasonFromBody, type ConnectFailure } from './retry.js';
import type { ClientSocket, SocketFactory } from './socket.js';

export interface NodeSocketOptions {
  /** Extra request headers (Origin, a proxy's header...). Authorization is set from the client's token. */
  headers?: Record<string, string>;
  /** Options for tls.connect on wss:// URLs (ca for a private CA, servername...). */
  tls?: TlsOptions;
  /** Time allowed for TCP/TLS connect plus the opening handshake. Default 10 000 ms. */
  handshakeTimeoutMs?: number;
  /** Offer permessage-deflate (worth it on slow links with many symbols). Default false. */
  deflate?: boolean;
}

/** How long a closing handshake may take before the socket is dropped. */
const CLOSE_TIMEOUT_MS = 2_000;

/** A SocketFactory over tickstream's Node client; the token goes in `Authorization: Bearer`. */
export function nodeSocket(options: NodeSocketOptions = {}): SocketFactory {
  return (request, handlers) => {
    let conn: WebSocketConnection | undefined;
    let done = false;
    let abandoned: { code: number; reason: string; abort: boolean } | undefined;
    const headers = { ...options.headers };
    if (request.token !== undefined) headers.Authorization = `Bearer ${request.token}`;
    connect(request.url, {
      headers,
      handshakeTimeoutMs: options.handshakeTimeoutMs ?? 10_000,
      closeTimeoutMs: CLOSE_TIMEOUT_MS,
      deflate: options.deflate ?? false,
      ...(options.tls !== undefined ? { tls: options.tls } : {}),
    }).then(
      (opened) => {
        // Closed by the client while the handshake ran: the connection is not wanted any more.
        if (abandoned !== undefined) return finish(opened, abandoned);
        conn = opened;
        opened.on('message', (data: Buffer, isText: boolean) => {
          if (!done && isText) handlers.onMessage(data.toString('utf8'));
        });
        opened.on('close', (code: number, reason: string) => {
          if (done) return;
          done = true;
          handlers.onClose({ kind: 'close', code, reason: cleanText(reason) });
        });
        // Protocol errors are followed by 'close' with their code; without a listener they are not emitted.
        opened.on('error', () => {});
        handlers.onOpen();
      },
      (error: unknown) => {
        if (done || abandoned !== undefined) return;
        done = true;
        handlers.onClose(failureOf(error));
      },
    );
    const socket: ClientSocket = {
      send: (text) => {
        conn?.send(text);
      },
      close: (code, reason, abort = false) => {
        if (done) return;
        done = true;
        if (conn === undefined) abandoned = { code, reason, abort };
        else finish(conn, { code, reason, abort });
      },
    };
    return socket;
  };
}

function finish(conn: WebSocketConnection, how: { code: number; reason: string; abort: boolean }): void {
  conn.on('error', () => {});
  if (how.abort) conn.terminate();
  else conn.close(how.code, how.reason);
}

/** What went wrong with a connection attempt; texts cleaned of control characters. */
export function failureOf(error: unknown): ConnectFailure {
  if (error instanceof HandshakeRefusedError) {
    const location = error.header('location');
    return {
      kind: 'http',
      status: error.status,
      statusText: cleanText(error.statusText, 60),
      reason: reasonFromBody(error.body, error.header('content-type')),
      retryAfter: error.header('retry-after'),
      location: location === undefined ? undefined : cleanText(location),
    };
  }
  const e = error as { message?: unknown; code?: unknown } | null;
  return {
    kind: 'network',
    message: cleanText(String(e?.message ?? error)),
    code: typeof e?.code === 'string' ? e.code : undefined,
  };
}
