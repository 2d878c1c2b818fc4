import type { Server as NetServer, Socket } from 'node:net';
import { Server as TlsServer } from 'node:tls';
import { HttpHeadParser, type HttpHead } from '../protocol/http-head.js';
import { parseTokenList } from '../protocol/header-values.js';
import { upgradeRequestFromHead, type UpgradeRequest } from './upgrade-request.js';

/**
 * The fast upgrade path: WebSocket handshakes parsed by our bounded head parser instead of Node's HTTP server.
 *
 * Why: with Node's HTTP machinery every upgrade builds an IncomingMessage, an HTTP parser, socket wrappers and
 * listeners that are thrown away a moment later; that is most of the cost of a handshake and some of the
 * memory an idle connection keeps. When Node's own listener is the only one on the server, we read the first
 * chunk of each connection ourselves: a complete `GET ... Upgrade: websocket` head is handled here; anything
 * else (plain HTTP, a head split across packets, a malformed one) is pushed back onto the socket and handed to
 * Node's HTTP listener unchanged, so HTTP behaviour is exactly Node's.
 */
export interface FastUpgradeTarget {
  handleUpgrade(request: UpgradeRequest, socket: Socket, head: Buffer): void;
  readonly handshakeTimeoutMs: number;
}

interface InterceptContext {
  server: NetServer;
  target: FastUpgradeTarget;
  httpListener: (socket: Socket) => void;
  /** Sockets that have not sent their first bytes yet, with their arrival time: swept by one shared timer. */
  pending: Map<Socket, number>;
  sweep: NodeJS.Timeout | null;
}

const kContext = Symbol('tickstream.fastUpgrade');
type PendingSocket = Socket & { [kContext]?: InterceptContext };

/** Installs the fast path when possible; returns a function that restores Node's listener, or null. */
export function interceptUpgrades(server: NetServer, target: FastUpgradeTarget): (() => void) | null {
  const event = server instanceof TlsServer ? 'secureConnection' : 'connection';
  const listeners = server.listeners(event);
  // Only when Node's HTTP listener is alone: other listeners may expect to see every socket first.
  if (listeners.length !== 1 || listeners[0]!.name !== 'connectionListener') return null;
  const httpListener = listeners[0] as (socket: Socket) => void;
  const context: InterceptContext = { server, target, httpListener, pending: new Map(), sweep: null };
  const onConnection = (socket: Socket): void => {
    (socket as PendingSocket)[kContext] = context;
    socket.once('data', onFirstData);
    socket.on('error', onPendingError);
    context.pending.set(socket, Date.now());
    if (context.sweep === null) startSweep(context);
  };
  server.removeListener(event, httpListener);
  server.on(event, onConnection);
  return () => {
    server.removeListener(event, onConnection);
    server.on(event, httpListener);
    if (context.sweep !== null) clearInterval(context.sweep);
    context.sweep = null;
    // Sockets still silent go to Node's HTTP server too, which tracks them from now on: a shutdown's
    // closeAllConnections() then ends them instead of waiting out their handshake timeout.
    for (const socket of context.pending.keys()) {
      socket.removeListener('data', onFirstData);
      socket.removeListener('error', onPendingError);
      (socket as PendingSocket)[kContext] = undefined;
      httpListener.call(server, socket);
    }
    context.pending.clear();
  };
}

/** Drops connections that sent nothing within the handshake timeout (a slowloris guard), one timer for all. */
function startSweep(context: InterceptContext): void {
  const timeoutMs = context.target.handshakeTimeoutMs;
  context.sweep = setInterval(() => {
    const deadline = Date.now() - timeoutMs;
    for (const [socket, since] of context.pending) {
      if (since > deadline) break; // insertion order is arrival order
      context.pending.delete(socket);
      socket.destroy();
    }
    if (context.pending.size === 0 && context.sweep !== null) {
      clearInterval(context.sweep);
      context.sweep = null;
    }
  }, Math.max(50, Math.min(1000, timeoutMs / 4)));
  context.sweep.unref();
}

function onFirstData(this: PendingSocket, chunk: Buffer): void {
  const context = this[kContext]!;
  this[kContext] = undefined;
  context.pending.delete(this);
  this.removeListener('error', onPendingError);
  const parsed = isWebSocketUpgrade(chunk);
  if (parsed !== null) {
    context.target.handleUpgrade(upgradeRequestFromHead(parsed.head, this), this, parsed.rest);
    return;
  }
  // Not ours: give Node's HTTP server the socket as if it had just connected, bytes included.
  this.pause();
  this.unshift(chunk);
  context.httpListener.call(context.server, this);
  this.resume();
}

function onPendingError(this: PendingSocket): void {
  this[kContext]?.pending.delete(this);
  this.destroy();
}

/** A complete GET head asking for `Upgrade: websocket`, or null to let Node's HTTP server decide. */
function isWebSocketUpgrade(chunk: Buffer): { head: HttpHead; rest: Buffer } | null {
  // Cheap pre-checks before any parsing: method and the end of the head in this very chunk.
  if (chunk.length < 16 || chunk[0] !== 0x47 /* G */ || chunk[1] !== 0x45 || chunk[2] !== 0x54 || chunk[3] !== 0x20) return null;
  if (chunk.indexOf('\r\n\r\n') === -1) return null;
  const parser = new HttpHeadParser('request');
  let head: HttpHead | null;
  try {
    head = parser.push(chunk);
  } catch {
    return null; // Node's parser will answer malformed or oversized heads itself
  }
  if (head === null || head.httpVersion !== '1.1') return null;
  const upgrade = head.headers.get('upgrade');
  if (upgrade === undefined || !parseTokenList(upgrade).includes('websocket')) return null;
  return { head, rest: parser.rest };
}
