import { Defaults } from './constants.js';
import { isToken } from './header-values.js';

/** The start line and header fields of an HTTP/1.1 request or response. */
export interface HttpHead {
  kind: 'request' | 'response';
  /** Request only ('' for a response). */
  method: string;
  /** Request target as sent, e.g. "/quotes?symbols=AAPL" ('' for a response). */
  url: string;
  /** Response only (0 for a request). */
  status: number;
  /** Response only ('' for a request). */
  statusText: string;
  /** "1.1" for HTTP/1.1. */
  httpVersion: string;
  /** Lower-case names; every occurrence kept in order. */
  headers: Map<string, string[]>;
}

/** The head could not be read: `status` is the HTTP answer a server should send (400 or 431). */
export class HttpHeadError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = 'HttpHeadError';
    this.status = status;
  }
}

/**
 * The server's answer to our upgrade request is not a valid WebSocket handshake (RFC 6455 4.1:
 * the client must _Fail the WebSocket Connection_). Defined here, beside the other error of the
 * HTTP exchange, so permessage-deflate.ts and handshake-client.ts can share it without an import cycle.
 */
export class HandshakeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HandshakeError';
  }
}

const CR = 0x0d;
const LF = 0x0a;
const TAB = 0x09;
const EMPTY = Buffer.alloc(0);

/**
 * Incremental, bounded reader of an HTTP/1.1 head from a raw byte stream. It scans each byte once
 * (a 4-state matcher for CRLF CRLF that survives chunk boundaries), refuses to buffer more than
 * `maxHeaderBytes`, and parses the head only once it is complete. Bytes after the head — the first
 * WebSocket frames may arrive in the same TCP segment as the 101 — are returned by `rest`.
 */
export class HttpHeadParser {
  readonly #kind: 'request' | 'response';
  readonly #maxHeaderBytes: number;
  readonly #maxHeaderCount: number;
  #chunks: Buffer[] = [];
  #buffered = 0;
  /** How many bytes of "\r\n\r\n" the stream currently ends with. */
  #matched = 0;
  #complete = false;
  #rest: Buffer = EMPTY;

  constructor(kind: 'request' | 'response', limits: { maxHeaderBytes?: number; maxHeaderCount?: number } = {}) {
    this.#kind = kind;
    this.#maxHeaderBytes = limits.maxHeaderBytes ?? Defaults.maxHeaderBytes;
    this.#maxHeaderCount = limits.maxHeaderCount ?? Defaults.maxHeaderCount;
  }

  /** Bytes received after the end of the head; empty until the head is complete. */
  get rest(): Buffer {
    return this.#rest;
  }

  /** Feeds bytes; returns the head once complete, null while more bytes are needed. */
  push(chunk: Buffer): HttpHead | null {
    if (this.#complete) throw new Error('HttpHeadParser: the head is already complete; read `rest`');
    const budget = this.#maxHeaderBytes - this.#buffered;
    const scanEnd = chunk.length < budget ? chunk.length : budget;
    let matched = this.#matched;
    let end = -1;
    for (let i = 0; i < scanEnd; i++) {
      const b = chunk[i];
      // Pattern CR LF CR LF: even positions expect CR, odd ones LF.
      if (b === ((matched & 1) === 0 ? CR : LF)) {
        if (++matched === 4) {
          end = i + 1;
          break;
        }
      } else {
        matched = b === CR ? 1 : 0;
      }
    }
    if (end < 0) {
      if (chunk.length > scanEnd) {
        throw new HttpHeadError(431, `HTTP head larger than ${this.#maxHeaderBytes} bytes`);
      }
      this.#matched = matched;
      if (chunk.length > 0) {
        this.#chunks.push(chunk);
        this.#buffered += chunk.length;
      }
      return null;
    }
    this.#complete = true;
    this.#chunks.push(chunk.subarray(0, end));
    this.#rest = chunk.subarray(end);
    const head = Buffer.concat(this.#chunks, this.#buffered + end);
    this.#chunks = [];
    return parseHead(head.toString('latin1'), this.#kind, this.#maxHeaderCount);
  }
}

/** Splits the complete head (ending in CRLF CRLF) into lines, refusing bare CR/LF and control bytes. */
function splitLines(text: string): string[] {
  const lines: string[] = [];
  let lineStart = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === CR) {
      if (text.charCodeAt(i + 1) !== LF) throw new HttpHeadError(400, 'bare CR in HTTP head');
      lines.push(text.slice(lineStart, i));
      i++;
      lineStart = i + 1;
    } else if (c === LF) {
      throw new HttpHeadError(400, 'bare LF in HTTP head');
    } else if ((c < 0x20 && c !== TAB) || c === 0x7f) {
      throw new HttpHeadError(400, 'control character in HTTP head');
    }
  }
  return lines;
}

function parseVersion(text: string): string | null {
  // "HTTP/" DIGIT "." DIGIT (RFC 7230 2.6)
  if (text.length !== 8 || !text.startsWith('HTTP/') || text[6] !== '.') return null;
  const major = text.charCodeAt(5);
  const minor = text.charCodeAt(7);
  if (major < 0x30 || major > 0x39 || minor < 0x30 || minor > 0x39) return null;
  return text.slice(5);
}

function parseHead(text: string, kind: 'request' | 'response', maxHeaderCount: number): HttpHead {
  const lines = splitLines(text);
  // RFC 7230 3.5: ignore empty lines received before the start line.
  let first = 0;
  while (first < lines.length && lines[first] === '') first++;
  if (first >= lines.length) throw new HttpHeadError(400, 'empty HTTP head');
  // The head ends with CRLF CRLF, so the last line is the empty one that terminates it.
  const headerLines = lines.length - 1 - first - 1;
  if (headerLines > maxHeaderCount) throw new HttpHeadError(431, `more than ${maxHeaderCount} header fields`);

  const head: HttpHead = {
    kind, method: '', url: '', status: 0, statusText: '', httpVersion: '', headers: new Map(),
  };
  const startLine = lines[first];
  if (kind === 'request') parseRequestLine(startLine, head);
  else parseStatusLine(startLine, head);

  for (let i = first + 1; i < lines.length - 1; i++) {
    const line = lines[i];
    const c0 = line.charCodeAt(0);
    if (c0 === 0x20 || c0 === TAB) throw new HttpHeadError(400, 'obsolete header line folding');
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon) : '';
    if (!isToken(name)) throw new HttpHeadError(400, 'malformed header field');
    let start = colon + 1;
    let end = line.length;
    while (start < end && (line.charCodeAt(start) === 0x20 || line.charCodeAt(start) === TAB)) start++;
    while (end > start && (line.charCodeAt(end - 1) === 0x20 || line.charCodeAt(end - 1) === TAB)) end--;
    const key = name.toLowerCase();
    const value = line.slice(start, end);
    const values = head.headers.get(key);
    if (values === undefined) head.headers.set(key, [value]);
    else values.push(value);
  }
  return head;
}

function parseRequestLine(line: string, head: HttpHead): void {
  const sp1 = line.indexOf(' ');
  const sp2 = sp1 < 0 ? -1 : line.indexOf(' ', sp1 + 1);
  const version = sp2 < 0 ? null : parseVersion(line.slice(sp2 + 1));
  const method = line.slice(0, sp1);
  const url = line.slice(sp1 + 1, sp2);
  if (version === null || !isToken(method) || url.length === 0) {
    throw new HttpHeadError(400, 'malformed request line');
  }
  head.method = method;
  head.url = url;
  head.httpVersion = version;
}

function parseStatusLine(line: string, head: HttpHead): void {
  // "HTTP/1.1 101 Switching Protocols"; a missing reason phrase is tolerated.
  const version = parseVersion(line.slice(0, 8));
  if (version === null || line[8] !== ' ' || line.length < 12 || (line.length > 12 && line[12] !== ' ')) {
    throw new HttpHeadError(400, 'malformed status line');
  }
  let status = 0;
  for (let i = 9; i < 12; i++) {
    const digit = line.charCodeAt(i) - 0x30;
    if (digit < 0 || digit > 9) throw new HttpHeadError(400, 'malformed status line');
    status = status * 10 + digit;
  }
  head.httpVersion = version;
  head.status = status;
  head.statusText = line.slice(13);
}
