/**
 * The little the client needs from a WebSocket, so one client runs over the browser's WebSocket and
 * over tickstream's own Node client alike (and over a fake in unit tests).
 */
import type { ConnectFailure } from './retry.js';

/** What a socket is asked to connect to. */
export interface SocketRequest {
  /** ws:// or wss:// URL with the subscription query (symbols, interval, since); without the token. */
  url: string;
  /**
   * The bearer token, if any. Each implementation presents it the best way its platform allows:
   * `Authorization: Bearer` where headers can be set (Node), `?token=` where they cannot (browsers).
   */
  token?: string | undefined;
}

/** Callbacks a socket reports to. After `onClose`, or after the client called `close`, none is called again. */
export interface SocketHandlers {
  /** The opening handshake completed. */
  onOpen(): void;
  /** A text message (binary messages are not part of the protocol and are not reported). */
  onMessage(text: string): void;
  /** The attempt failed or the open connection ended; said once. */
  onClose(failure: ConnectFailure): void;
}

export interface ClientSocket {
  send(text: string): void;
  /**
   * Closes the connection (a closing handshake where it still can run; dropped at once when `abort`,
   * for a peer that stopped answering). The client forgets the socket at once: handlers are not called
   * again, whatever the platform does afterwards.
   */
  close(code: number, reason: string, abort?: boolean): void;
}

/** Opens one connection. Must not throw for a connection that fails: it reports `onClose` instead. */
export type SocketFactory = (request: SocketRequest, handlers: SocketHandlers) => ClientSocket;
