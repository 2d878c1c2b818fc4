/**
 * Parsers for the handshake's header values. Every function is a single left-to-right scan with no
 * regular expressions: ws had two ReDoS advisories in exactly this place (CVE-2021-32640 on
 * Sec-WebSocket-Protocol, CVE-2024-37890 on header counts), so cost must stay linear in the input.
 */

/** RFC 7230 section 3.2.6 tchar, indexed by char code (0 = not allowed in a token). */
const TOKEN_CHAR = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") {
  TOKEN_CHAR[c.charCodeAt(0)] = 1;
}

const SPACE = 0x20;
const TAB = 0x09;
const COMMA = 0x2c;
const SEMICOLON = 0x3b;
const EQUALS = 0x3d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

function isTokenCharCode(c: number): boolean {
  return c < 128 && TOKEN_CHAR[c] === 1;
}

/** True when `s` is a non-empty RFC 7230 token. */
export function isToken(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) if (!isTokenCharCode(s.charCodeAt(i))) return false;
  return true;
}

/** Several instances of a list header are equivalent to one joined with commas (RFC 7230 3.2.2). */
function joinHeader(value: string | string[] | undefined): string {
  if (value === undefined) return '';
  return typeof value === 'string' ? value : value.join(',');
}

function skipOws(text: string, i: number): number {
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c !== SPACE && c !== TAB) break;
    i++;
  }
  return i;
}

function skipToken(text: string, i: number): number {
  while (i < text.length && isTokenCharCode(text.charCodeAt(i))) i++;
  return i;
}

/** Calls `onItem` with each trimmed, non-empty comma-separated element (empty ones are ignored, RFC 7230 7). */
function forEachListItem(text: string, onItem: (item: string) => boolean): boolean {
  let start = -1;
  let end = -1;
  for (let i = 0; i <= text.length; i++) {
    const c = i === text.length ? COMMA : text.charCodeAt(i);
    if (c === COMMA) {
      if (start >= 0 && !onItem(text.slice(start, end))) return false;
      start = -1;
    } else if (c !== SPACE && c !== TAB) {
      if (start < 0) start = i;
      end = i + 1;
    }
  }
  return true;
}

/**
 * Comma-separated tokens, trimmed and lower-cased, empty elements dropped. For Connection and
 * Upgrade, whose tokens compare case-insensitively: "keep-alive, Upgrade" → ["keep-alive", "upgrade"].
 */
export function parseTokenList(value: string | string[] | undefined): string[] {
  const items: string[] = [];
  forEachListItem(joinHeader(value), (item) => {
    items.push(item.toLowerCase());
    return true;
  });
  return items;
}

/**
 * Sec-WebSocket-Protocol (RFC 6455 4.1 item 10): tokens, case-sensitive, each at most once.
 * Returns null when an element is not a token or repeats.
 */
export function parseProtocols(value: string | string[] | undefined): string[] | null {
  // A Set for the repeat check: an array's includes() made a 3,700-element header quadratic.
  const protocols = new Set<string>();
  const ok = forEachListItem(joinHeader(value), (item) => {
    if (!isToken(item) || protocols.has(item)) return false;
    protocols.add(item);
    return true;
  });
  return ok ? [...protocols] : null;
}

/** One element of Sec-WebSocket-Extensions: an extension name and its parameters. */
export interface ExtensionOffer {
  /** Lower-cased extension token, e.g. "permessage-deflate". */
  name: string;
  /** Lower-cased parameter names; `true` for a parameter without value. First occurrence wins. */
  params: Map<string, string | true>;
  /** Names that appeared more than once in this element; negotiation must refuse such an offer. */
  duplicateParams?: string[];
}

/**
 * Sec-WebSocket-Extensions per RFC 6455 section 9.1:
 *   extension-list = 1#extension ; extension = token *( ";" extension-param )
 *   extension-param = token [ "=" ( token | quoted-string ) ]  -- unescaped quoted value must be a token
 * Optional whitespace is accepted around ";", "," and "=". Returns null on any syntax error.
 */
export function parseExtensions(value: string | string[] | undefined): ExtensionOffer[] | null {
  const text = joinHeader(value);
  const n = text.length;
  const offers: ExtensionOffer[] = [];
  let i = 0;
  // Each pass consumes at least one character, so the loop is bounded by the input length.
  while (i < n) {
    i = skipOws(text, i);
    if (i === n) break;
    if (text.charCodeAt(i) === COMMA) {
      i++; // empty list element
      continue;
    }
    let start = i;
    i = skipToken(text, i);
    if (i === start) return null;
    const offer: ExtensionOffer = { name: text.slice(start, i).toLowerCase(), params: new Map() };
    i = skipOws(text, i);
    while (i < n && text.charCodeAt(i) === SEMICOLON) {
      i = skipOws(text, i + 1);
      start = i;
      i = skipToken(text, i);
      if (i === start) return null;
      const name = text.slice(start, i).toLowerCase();
      i = skipOws(text, i);
      let paramValue: string | true = true;
      if (i < n && text.charCodeAt(i) === EQUALS) {
        i = skipOws(text, i + 1);
        if (i < n && text.charCodeAt(i) === QUOTE) {
          const quoted = readQuotedString(text, i);
          if (quoted === null || !isToken(quoted.value)) return null;
          paramValue = quoted.value;
          i = quoted.end;
        } else {
          start = i;
          i = skipToken(text, i);
          if (i === start) return null;
          paramValue = text.slice(start, i);
        }
        i = skipOws(text, i);
      }
      if (offer.params.has(name)) (offer.duplicateParams ??= []).push(name);
      else offer.params.set(name, paramValue);
    }
    offers.push(offer);
    if (i === n) break;
    if (text.charCodeAt(i) !== COMMA) return null;
    i++;
  }
  return offers;
}

/** Reads a quoted-string starting at the opening quote; null when it is not terminated. */
function readQuotedString(text: string, openQuote: number): { value: string; end: number } | null {
  let value = '';
  let segment = openQuote + 1;
  for (let i = openQuote + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) return { value: value + text.slice(segment, i), end: i + 1 };
    if (c === BACKSLASH) {
      if (i + 1 >= text.length) return null;
      value += text.slice(segment, i) + text[i + 1];
      i++;
      segment = i + 1;
    }
  }
  return null;
}

/**
 * Guards headers that the application adds to a handshake message: a CR or LF in them would let the
 * caller's data split the HTTP message (response splitting), so they are programming errors.
 */
export function assertHeaderField(name: string, value: string): void {
  if (!isToken(name)) throw new TypeError(`invalid header name: ${JSON.stringify(name)}`);
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if ((c < 0x20 && c !== TAB) || c === 0x7f || c > 0xff) {
      throw new TypeError(`invalid character in value of header ${name}`);
    }
  }
}
