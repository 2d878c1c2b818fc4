import { computeAcceptKey, isValidKey } from './accept-key.js';
import { assertHeaderField, parseExtensions, parseProtocols, parseTokenList } from './header-values.js';
import type { HttpHead } from './http-head.js';
import { negotiateServerDeflate } from './permessage-deflate.js';
import type { DeflateOptions, DeflateParams } from './permessage-deflate.js';

/** The parts of an upgrade request the handshake needs; node's IncomingMessage fits as is. */
export interface UpgradeRequestInfo {
  method: string;
  httpVersion: string;
  /** Lower-case names. */
  headers: Record<string, string | string[] | undefined>;
}

export interface ServerHandshakeOptions {
  /** Subprotocols we speak, most preferred first. */
  protocols?: readonly string[];
  /** permessage-deflate: undefined = enabled with DeflateDefaults, false = never negotiated. */
  deflate?: DeflateOptions | false;
  /** Added to the 101 response (e.g. Set-Cookie). */
  extraHeaders?: Record<string, string>;
}

export type ServerHandshakeResult =
  | { ok: true; response: string; protocol: string; extensions: string; deflate: DeflateParams | null }
  | { ok: false; status: number; message: string; headers: Record<string, string> };

const NO_HEADERS: Record<string, string> = Object.freeze({}) as Record<string, string>;
const VERSION_HEADERS: Record<string, string> = Object.freeze({ 'Sec-WebSocket-Version': '13' }) as Record<string, string>;

function refuse(status: number, message: string, headers = NO_HEADERS): ServerHandshakeResult {
  return { ok: false, status, message, headers };
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? (value.length === 1 ? value[0] : undefined) : value;
}


/**
 * Validates an opening handshake request (RFC 6455 section 4.2.1) and builds the 101 answer
 * (section 4.2.2). Pure: the caller writes `response` — or formatHttpResponse(status, message,
 * headers) on refusal — to the socket.
 */
export function acceptUpgrade(req: UpgradeRequestInfo, options: ServerHandshakeOptions = {}): ServerHandshakeResult {
  const h = req.headers;
  if (req.method !== 'GET') return refuse(400, 'WebSocket upgrade requires GET');
  // RFC 6455 4.1 says "HTTP/1.1 or higher", but the handshake is HTTP/1.1 syntax: "HTTP/2.0" on an
  // HTTP/1 connection is not a real HTTP/2 request (that is RFC 8441's CONNECT), and 1.0 has no Upgrade.
  if (req.httpVersion !== '1.1') return refuse(400, 'WebSocket upgrade requires HTTP/1.1');
  if (h.host === undefined) return refuse(400, 'missing Host header');
  // Two Hosts make the request's target ambiguous (RFC 9112 3.2: answer 400).
  if (single(h.host) === undefined) return refuse(400, 'duplicate Host header');
  if (!parseTokenList(h.upgrade).includes('websocket')) return refuse(400, 'Upgrade header must include websocket');
  if (!parseTokenList(h.connection).includes('upgrade')) return refuse(400, 'Connection header must include Upgrade');
  // Checked before the key: a client of an older draft learns which version we speak (4.2.2 item 4).
  const version = single(h['sec-websocket-version']);
  if (version === undefined || version.trim() !== '13') {
    return refuse(426, 'unsupported Sec-WebSocket-Version, use 13', VERSION_HEADERS);
  }
  const rawKey = h['sec-websocket-key'];
  if (rawKey === undefined) return refuse(400, 'missing Sec-WebSocket-Key');
  // node joins repeated headers with ", "; either form means the key was sent more than once.
  const key = single(rawKey);
  if (key === undefined || key.includes(',')) return refuse(400, 'duplicate Sec-WebSocket-Key');
  if (!isValidKey(key.trim())) return refuse(400, 'invalid Sec-WebSocket-Key');

  const offeredProtocols = parseProtocols(h['sec-websocket-protocol']);
  if (offeredProtocols === null) return refuse(400, 'invalid Sec-WebSocket-Protocol');
  const offers = parseExtensions(h['sec-websocket-extensions']);
  if (offers === null) return refuse(400, 'invalid Sec-WebSocket-Extensions');

  // The server's preference order wins (4.2.2 item 5.5: "the server selects one").
  let protocol = '';
  for (const candidate of options.protocols ?? []) {
    if (offeredProtocols.includes(candidate)) {
      protocol = candidate;
      break;
    }
  }
  const negotiated = options.deflate === false ? null : negotiateServerDeflate(offers, options.deflate ?? {});

  let response =
    'HTTP/1.1 101 Switching Protocols\r\n' +
    'Upgrade: websocket\r\n' +
    'Connection: Upgrade\r\n' +
    `Sec-WebSocket-Accept: ${computeAcceptKey(key.trim())}\r\n`;
  if (protocol !== '') response += `Sec-WebSocket-Protocol: ${protocol}\r\n`;
  if (negotiated !== null) response += `Sec-WebSocket-Extensions: ${negotiated.header}\r\n`;
  response += formatHeaderLines(options.extraHeaders);
  response += '\r\n';
  return {
    ok: true,
    response,
    protocol,
    extensions: negotiated === null ? '' : negotiated.header,
    deflate: negotiated === null ? null : negotiated.params,
  };
}

function formatHeaderLines(headers: Record<string, string> | undefined): string {
  let lines = '';
  if (headers === undefined) return lines;
  for (const name of Object.keys(headers)) {
    const value = headers[name];
    assertHeaderField(name, value);
    lines += `${name}: ${value}\r\n`;
  }
  return lines;
}

const REASON_PHRASES: Record<number, string> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
  408: 'Request Timeout', 426: 'Upgrade Required', 429: 'Too Many Requests',
  431: 'Request Header Fields Too Large', 500: 'Internal Server Error', 503: 'Service Unavailable',
};

/** A complete plain-text HTTP/1.1 refusal that closes the connection. */
export function formatHttpResponse(status: number, message: string, headers?: Record<string, string>): string {
  if (!Number.isInteger(status) || status < 100 || status > 999) throw new RangeError(`invalid HTTP status ${status}`);
  return (
    `HTTP/1.1 ${status} ${REASON_PHRASES[status] ?? 'Error'}\r\n` +
    'Connection: close\r\n' +
    'Content-Type: text/plain; charset=utf-8\r\n' +
    `Content-Length: ${Buffer.byteLength(message)}\r\n` +
    formatHeaderLines(headers) +
    '\r\n' +
    message
  );
}

/**
 * Header fields for acceptUpgrade from Node's `req.rawHeaders` (name, value, name, value ...):
 * lower-cased names, and an array where a field repeats. Node's `req.headers` silently drops a
 * second Host, so a duplicate could not be refused from it.
 */
export function headersFromRaw(rawHeaders: readonly string[]): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {};
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase();
    const value = rawHeaders[i + 1]!;
    const seen = headers[name];
    if (seen === undefined) headers[name] = value;
    else if (Array.isArray(seen)) seen.push(value);
    else headers[name] = [seen, value];
  }
  return headers;
}

/** Adapts a head read by HttpHeadParser (raw-socket server) to acceptUpgrade's input. */
export function upgradeRequestFromHead(head: HttpHead): UpgradeRequestInfo {
  const headers: Record<string, string | string[]> = {};
  for (const [name, values] of head.headers) headers[name] = values.length === 1 ? values[0] : values;
  return { method: head.method, httpVersion: head.httpVersion, headers };
}
