import { computeAcceptKey, generateKey } from './accept-key.js';
import { assertHeaderField, isToken, parseExtensions, parseTokenList } from './header-values.js';
import { HandshakeError } from './http-head.js';
import type { HttpHead } from './http-head.js';
import { acceptDeflateResponse, buildDeflateOffer, PERMESSAGE_DEFLATE } from './permessage-deflate.js';
import type { DeflateOptions, DeflateParams } from './permessage-deflate.js';

export { HandshakeError };

/**
 * The server answered the upgrade with an ordinary HTTP response (401, 403, 503 ...) instead of 101.
 * Carries what a client needs to decide whether to retry: the status, the header fields (lower-case
 * names, e.g. `retry-after`) and, once the transport client has read it, the start of the body
 * (where servers put their reason in plain text).
 */
export class HandshakeRefusedError extends HandshakeError {
  readonly status: number;
  readonly statusText: string;
  readonly headers: ReadonlyMap<string, readonly string[]>;
  /** The start of the response body (UTF-8, bounded by the reader), '' when there was none. */
  body = '';

  constructor(head: HttpHead) {
    super(`unexpected HTTP status ${head.status} ${head.statusText}`.trimEnd());
    this.name = 'HandshakeRefusedError';
    this.status = head.status;
    this.statusText = head.statusText;
    this.headers = head.headers;
  }

  /** The first value of a header field (any case), undefined when absent. */
  header(name: string): string | undefined {
    return this.headers.get(name.toLowerCase())?.[0];
  }
}

/** What the client sent, kept to verify the server's answer. */
export interface ClientHandshake {
  /** The complete request head, ending with CRLF CRLF. */
  request: string;
  /** Our Sec-WebSocket-Key. */
  key: string;
  protocols: readonly string[];
  /** The deflate options we offered, null when compression was not offered. */
  deflateOffered: DeflateOptions | null;
}

/** Headers the handshake itself owns; letting callers set them would break verification. */
const RESERVED_HEADERS = new Set([
  'upgrade', 'connection', 'sec-websocket-key', 'sec-websocket-version',
  'sec-websocket-protocol', 'sec-websocket-extensions', 'content-length', 'transfer-encoding',
]);

/**
 * Builds the opening handshake request (RFC 6455 4.1, the article's step 1) for a ws:// or wss://
 * URL. Host carries the port only when it is not the scheme's default (the URL parser drops 80 for
 * ws: and 443 for wss:). Origin is sent only when the caller provides it in `headers`.
 * `deflate` undefined = offer permessage-deflate with DeflateDefaults; false = do not offer it.
 */
export function buildClientRequest(
  url: URL,
  options: { protocols?: readonly string[]; headers?: Record<string, string>; deflate?: DeflateOptions | false } = {},
): ClientHandshake {
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
    throw new TypeError(`WebSocket URL must use ws: or wss:, got ${url.protocol}`);
  }
  const protocols = options.protocols ?? [];
  for (let i = 0; i < protocols.length; i++) {
    if (!isToken(protocols[i]) || protocols.indexOf(protocols[i]) !== i) {
      throw new TypeError(`invalid or repeated subprotocol ${JSON.stringify(protocols[i])}`);
    }
  }
  const key = generateKey();
  const deflateOffered = options.deflate === false ? null : { ...(options.deflate ?? {}) };
  let host = url.host;
  let extra = '';
  for (const name of Object.keys(options.headers ?? {})) {
    const value = (options.headers as Record<string, string>)[name];
    assertHeaderField(name, value);
    const lower = name.toLowerCase();
    if (RESERVED_HEADERS.has(lower)) throw new TypeError(`header ${name} is set by the handshake`);
    if (lower === 'host') host = value;
    else extra += `${name}: ${value}\r\n`;
  }
  let request =
    `GET ${url.pathname}${url.search} HTTP/1.1\r\n` +
    `Host: ${host}\r\n` +
    'Upgrade: websocket\r\n' +
    'Connection: Upgrade\r\n' +
    `Sec-WebSocket-Key: ${key}\r\n` +
    'Sec-WebSocket-Version: 13\r\n';
  if (protocols.length > 0) request += `Sec-WebSocket-Protocol: ${protocols.join(', ')}\r\n`;
  if (deflateOffered !== null) request += `Sec-WebSocket-Extensions: ${buildDeflateOffer(deflateOffered)}\r\n`;
  request += extra + '\r\n';
  return { request, key, protocols, deflateOffered };
}

function onlyValue(head: HttpHead, name: string): string | undefined {
  const values = head.headers.get(name);
  if (values === undefined) return undefined;
  if (values.length !== 1) throw new HandshakeError(`repeated ${name} header`);
  return values[0];
}

/**
 * Checks the server's answer (RFC 6455 4.1, "the client MUST validate the server's response").
 * Returns the agreed subprotocol ('' = none), the raw extensions value and the deflate agreement.
 */
export function verifyServerResponse(
  head: HttpHead,
  hs: ClientHandshake,
): { protocol: string; extensions: string; deflate: DeflateParams | null } {
  if (head.kind !== 'response') throw new HandshakeError('expected an HTTP response');
  if (head.status !== 101) throw new HandshakeRefusedError(head);
  const upgrade = onlyValue(head, 'upgrade');
  if (upgrade === undefined || upgrade.toLowerCase() !== 'websocket') {
    throw new HandshakeError('Upgrade header is not websocket');
  }
  if (!parseTokenList(head.headers.get('connection')).includes('upgrade')) {
    throw new HandshakeError('Connection header does not include Upgrade');
  }
  const accept = onlyValue(head, 'sec-websocket-accept');
  if (accept === undefined) throw new HandshakeError('missing Sec-WebSocket-Accept');
  if (accept !== computeAcceptKey(hs.key)) throw new HandshakeError('wrong Sec-WebSocket-Accept');

  const protocolValue = onlyValue(head, 'sec-websocket-protocol');
  let protocol = '';
  if (protocolValue !== undefined) {
    if (!hs.protocols.includes(protocolValue)) {
      throw new HandshakeError(`server chose subprotocol ${JSON.stringify(protocolValue)} that was not offered`);
    }
    protocol = protocolValue;
  }

  const extensionValues = head.headers.get('sec-websocket-extensions');
  const extensions = extensionValues === undefined ? '' : extensionValues.join(', ');
  const accepted = parseExtensions(extensionValues);
  if (accepted === null) throw new HandshakeError('invalid Sec-WebSocket-Extensions');
  let deflate: DeflateParams | null = null;
  for (const extension of accepted) {
    if (extension.name !== PERMESSAGE_DEFLATE || hs.deflateOffered === null) {
      throw new HandshakeError(`server accepted extension ${extension.name} that was not offered`);
    }
    if (deflate !== null) throw new HandshakeError('permessage-deflate accepted twice');
    deflate = acceptDeflateResponse(extension, hs.deflateOffered);
  }
  return { protocol, extensions, deflate };
}
