import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions as TlsOptions } from 'node:tls';
import { Defaults } from '../protocol/constants.js';
import { HttpHeadParser } from '../protocol/http-head.js';
import { buildClientRequest, HandshakeRefusedError, verifyServerResponse } from '../protocol/handshake-client.js';
import type { DeflateOptions } from '../protocol/permessage-deflate.js';
import { connectionSettings, WebSocketConnection, type ConnectionOptions } from './connection.js';

export interface ClientOptions {
  /** Subprotocols to offer, in order of preference. */
  protocols?: readonly string[];
  /** Extra request headers (e.g. Origin, Authorization). */
  headers?: Record<string, string>;
  /** Offer permessage-deflate: false (default), true for the defaults, or parameters. */
  deflate?: boolean | DeflateOptions;
  /** Largest incoming message in bytes. */
  maxPayload?: number;
  /** Largest number of frames in one fragmented message. */
  maxFragments?: number;
  /** Time allowed for TCP/TLS connect plus the opening handshake. */
  handshakeTimeoutMs?: number;
  closeTimeoutMs?: number;
  /** Extra options for tls.connect on wss:// URLs (ca, rejectUnauthorized, servername ...). */
  tls?: TlsOptions;
}

/** How much of a refusal's body (the server's reason) is kept, and how long the client waits for it. */
const MAX_REFUSAL_BODY = 1024;
const REFUSAL_BODY_WAIT_MS = 1_000;

/**
 * Opens a WebSocket connection to a ws:// or wss:// URL; resolves once the server accepted the handshake.
 * When the server answers with another HTTP status it rejects with a HandshakeRefusedError holding the
 * status, the response's header fields and the start of its body.
 */
export function connect(url: string | URL, options: ClientOptions = {}): Promise<WebSocketConnection> {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return Promise.reject(new TypeError(`invalid WebSocket URL: ${String(url)}`));
  }
  if (target.protocol === 'http:') target.protocol = 'ws:';
  if (target.protocol === 'https:') target.protocol = 'wss:';
  if (target.protocol !== 'ws:' && target.protocol !== 'wss:') {
    return Promise.reject(new TypeError(`unsupported URL scheme ${target.protocol} (use ws: or wss:)`));
  }
  if (target.hash !== '') return Promise.reject(new TypeError('a WebSocket URL must not have a fragment'));
  const secure = target.protocol === 'wss:';
  const host = target.hostname.startsWith('[') ? target.hostname.slice(1, -1) : target.hostname;
  const port = target.port === '' ? (secure ? 443 : 80) : Number(target.port);
  // A client gains nothing from forbidding the server's context takeover (one dictionary window is cheap on
  // this side), and servers that ignore that parameter would decline the whole offer; so we do not ask for it.
  const deflate: DeflateOptions | false =
    options.deflate === true ? { serverNoContextTakeover: false } : options.deflate === undefined || options.deflate === false ? false : { serverNoContextTakeover: false, ...options.deflate };
  const requestOptions: Parameters<typeof buildClientRequest>[1] = { deflate };
  if (options.protocols !== undefined) requestOptions.protocols = options.protocols;
  if (options.headers !== undefined) requestOptions.headers = options.headers;
  const handshake = buildClientRequest(target, requestOptions);
  const timeoutMs = options.handshakeTimeoutMs ?? Defaults.handshakeTimeoutMs;

  return new Promise<WebSocketConnection>((resolve, reject) => {
    const socket: Socket = secure
      ? tlsConnect({
          host,
          port,
          ALPNProtocols: ['http/1.1'],
          ...(isIP(host) === 0 ? { servername: host } : {}),
          ...options.tls,
        })
      : netConnect({ host, port });
    const head = new HttpHeadParser('response');
    let settled = false;
    const fail = (error: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      reject(error);
    };
    const timer = setTimeout(() => fail(new Error(`WebSocket handshake with ${target.host} timed out after ${timeoutMs} ms`)), timeoutMs);
    const onData = (chunk: Buffer): void => {
      let response;
      try {
        response = head.push(chunk);
        if (response === null) return;
        const accepted = verifyServerResponse(response, handshake);
        settled = true;
        clearTimeout(timer);
        socket.removeListener('data', onData);
        socket.removeListener('error', onError);
        socket.removeListener('close', onClose);
        socket.pause();
        const settings = connectionSettings('client', {
          maxPayload: options.maxPayload,
          maxFragments: options.maxFragments,
          closeTimeoutMs: options.closeTimeoutMs,
          deflateLevel: deflate === false ? undefined : deflate.level,
          deflateThreshold: deflate === false ? undefined : deflate.threshold,
        });
        const connOptions: ConnectionOptions = {
          settings,
          url: target.pathname + target.search,
          protocol: accepted.protocol,
          extensions: accepted.extensions,
          deflate: accepted.deflate,
        };
        const conn = new WebSocketConnection(socket, connOptions);
        const rest = head.rest;
        resolve(conn);
        // Start reading only after the caller's `await` resumed and attached its listeners, so frames that
        // arrived together with the 101 response are not emitted to nobody.
        setImmediate(() => conn.start(rest));
      } catch (error) {
        if (error instanceof HandshakeRefusedError && !settled) readRefusal(error, head.rest);
        else fail(error instanceof Error ? error : new Error(String(error)));
      }
    };
    // A refusal's body usually arrives with its head; otherwise wait a little (bounded) for the rest.
    const readRefusal = (refusal: HandshakeRefusedError, first: Buffer): void => {
      clearTimeout(timer);
      const declared = Number(refusal.header('content-length') ?? NaN);
      const want = Number.isSafeInteger(declared) && declared >= 0 ? Math.min(declared, MAX_REFUSAL_BODY) : MAX_REFUSAL_BODY;
      let body = first.subarray(0, want);
      let bodyTimer: NodeJS.Timeout | undefined;
      const done = (): void => {
        clearTimeout(bodyTimer);
        if (settled) return;
        refusal.body = body.toString('utf8');
        fail(refusal);
      };
      if (body.length >= want) return done();
      socket.removeListener('data', onData);
      socket.removeListener('error', onError);
      socket.removeListener('close', onClose);
      socket.on('data', (chunk: Buffer) => {
        body = Buffer.concat([body, chunk]).subarray(0, want);
        if (body.length >= want) done();
      });
      socket.on('error', done);
      socket.once('end', done);
      socket.once('close', done);
      bodyTimer = setTimeout(done, REFUSAL_BODY_WAIT_MS);
    };
    const onError = (error: Error): void => fail(error);
    const onClose = (): void => fail(new Error(`connection to ${target.host} closed during the WebSocket handshake`));
    socket.on('data', onData);
    socket.on('error', onError);
    socket.on('close', onClose);
    socket.once(secure ? 'secureConnect' : 'connect', () => socket.write(handshake.request));
  });
}
