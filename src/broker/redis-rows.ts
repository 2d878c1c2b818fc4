import type { StreamQuote } from './stream.js';

/**
 * Quote rows (format: redis-codec.ts) written as JSON text straight into bytes. The text is exactly
 * what JSON.stringify makes of the row (test/broker/redis-codec.test.ts compares them value by value),
 * at about half its cost, and a batch entry's payload goes to ioredis as a Buffer: no string that
 * V8 must flatten and encode to UTF-8 again on the way to the socket.
 *
 * Where the time goes in JSON.stringify is turning doubles into their shortest decimal form. Prices
 * are decimals with few digits, so a value that is exactly n / 10^4 is written from the integer n
 * (that text is then the shortest form, the one JSON.stringify writes: see num()). Anything else
 * (more decimals, huge or tiny values, NaN) is written by String() / JSON.stringify as before.
 */

const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const QUOTE = 0x22;
const COMMA = 0x2c;
const MINUS = 0x2d;
const DOT = 0x2e;
const ZERO = 0x30;
const OPEN = 0x5b;
const CLOSE = 0x5d;
/**
 * Bytes a row can take besides its symbol's characters: 13 numbers of at most 24 characters and
 * their commas, brackets, the symbol's quotes, and the comma before the next row.
 */
const ROW_BOUND = 13 * 25 + 8;

class RowWriter {
  buf = Buffer.allocUnsafe(64 * 1024);
  pos = 0;

  /** Room for `n` more bytes. */
  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(2 * this.buf.length, this.pos + n));
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
  }

  byte(c: number): void {
    this.buf[this.pos++] = c;
  }

  /** A string of ASCII characters (a number's text). */
  ascii(s: string): void {
    this.pos += this.buf.write(s, this.pos, 'latin1');
  }

  row(q: StreamQuote): void {
    const symbol = q.symbol;
    this.ensure(ROW_BOUND + 6 * symbol.length);
    this.byte(OPEN);
    this.string(symbol);
    this.byte(COMMA);
    this.num(q.last);
    this.byte(COMMA);
    this.num(q.bid);
    this.byte(COMMA);
    this.num(q.ask);
    this.byte(COMMA);
    this.num(q.open);
    this.byte(COMMA);
    this.num(q.high);
    this.byte(COMMA);
    this.num(q.low);
    this.byte(COMMA);
    this.num(q.prevClose);
    this.byte(COMMA);
    this.num(q.change);
    this.byte(COMMA);
    this.num(q.changePct);
    this.byte(COMMA);
    this.num(q.volume);
    this.byte(COMMA);
    this.num(q.ts);
    this.byte(COMMA);
    this.num(q.seq);
    this.byte(COMMA);
    this.num(q.offset);
    this.byte(CLOSE);
  }

  /** A JSON string: printable ASCII without `"` or `\` as it is, anything else as JSON.stringify writes it. */
  string(s: string): void {
    const start = this.pos;
    this.byte(QUOTE);
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c < 0x20 || c > 0x7e || c === QUOTE || c === 0x5c) {
        this.pos = start + this.buf.write(JSON.stringify(s), start, 'utf8');
        return;
      }
      this.buf[this.pos++] = c;
    }
    this.byte(QUOTE);
  }

  /**
   * A number as JSON.stringify writes it (NaN and ±Infinity as null). If x is the double nearest to
   * n / 10^4 for an integer n, and |x| <= 10^11, the decimal n / 10^4 (trailing zeros dropped) is its
   * shortest round-trip form, the one JavaScript writes: its ulp is then below 2^-15, so no other
   * decimal of as few digits (another multiple of 10^-4, at least that far away) rounds to x; and the
   * form is fixed-point (JavaScript uses an exponent from 10^21 up, and below 10^-6).
   */
  num(x: number): void {
    if (Number.isInteger(x)) {
      if (x <= MAX_SAFE && x >= -MAX_SAFE) return this.int(x);
    } else {
      const n = Math.round(x * 10_000);
      if (n / 10_000 === x && n <= 1e15 && n >= -1e15) return this.fixed4(n);
    }
    this.ascii(Number.isFinite(x) ? String(x) : 'null');
  }

  /** An integer of at most 2^53 - 1 in magnitude. */
  private int(x: number): void {
    if (x < 0) {
      this.byte(MINUS);
      x = -x;
    }
    if (x < 100_000_000) return this.small(x, 0);
    const high = Math.floor(x / 100_000_000); // < 2^27: both halves are int32 arithmetic
    this.small(high, 0);
    this.small(x - high * 100_000_000, 8);
  }

  /** n < 10^8, in at least `width` digits (leading zeros). */
  private small(n: number, width: number): void {
    let digits = 1;
    for (let p = 10; p <= n; p *= 10) digits++;
    if (digits < width) digits = width;
    const b = this.buf;
    let at = (this.pos += digits);
    for (let i = 0; i < digits; i++) {
      const q = (n / 10) | 0;
      b[--at] = ZERO + n - q * 10;
      n = q;
    }
  }

  /** n / 10^4 with n not a multiple of 10^4. */
  private fixed4(n: number): void {
    if (n < 0) {
      this.byte(MINUS);
      n = -n;
    }
    const whole = Math.floor(n / 10_000);
    let frac = n - whole * 10_000;
    this.int(whole);
    this.byte(DOT);
    let width = 4;
    while (frac % 10 === 0) {
      frac /= 10;
      width--;
    }
    this.small(frac, width);
  }
}

const writer = new RowWriter();

/** `[row,row,...]` of quotes[start..end), as a Buffer of its own. */
export function encodeRows(quotes: readonly StreamQuote[], start: number, end: number): Buffer {
  writer.pos = 0;
  writer.ensure(1);
  writer.byte(OPEN);
  for (let i = start; i < end; i++) {
    if (i > start) writer.byte(COMMA);
    writer.row(quotes[i]!);
  }
  writer.ensure(1);
  writer.byte(CLOSE);
  return Buffer.from(writer.buf.subarray(0, writer.pos));
}

/** One row, as a string. */
export function encodeRow(q: StreamQuote): string {
  writer.pos = 0;
  writer.row(q);
  return writer.buf.toString('utf8', 0, writer.pos);
}

/** For tests: a number as the rows write it. */
export function encodeNumber(x: number): string {
  writer.pos = 0;
  writer.ensure(32);
  writer.num(x);
  return writer.buf.toString('latin1', 0, writer.pos);
}

// ---------------------------------------------------------------------------------------------
// Reading (edge side).

/** 10^k for k <= 22: exactly representable, so m / 10^k is correctly rounded for m < 2^53. */
const POW10 = Array.from({ length: 23 }, (_, k) => 10 ** k);
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;

/**
 * Reads a batch payload (`[row,row,...]`) the way encodeRows writes it, straight into quotes: no
 * intermediate arrays, about half the cost of JSON.parse and of the garbage. Returns null for any
 * text that is not in that exact form (whitespace, escapes, exponents, more than 15 digits, a value
 * that would not pass decodeEntry's checks ...): the caller then parses it with JSON.parse, which
 * gives the same quotes for valid text and a precise error for invalid. So this only has to be
 * right when it answers, and it is: a decimal of at most 15 digits m·10^-k is read as m / 10^k, an
 * exact integer divided by an exact power of ten, which IEEE rounds correctly, as JSON.parse does.
 */
export function readRows(text: string, firstOffset: number): StreamQuote[] | null {
  reader.text = text;
  reader.pos = 0;
  if (text.charCodeAt(0) !== OPEN) return null;
  reader.pos = 1;
  const quotes: StreamQuote[] = [];
  for (;;) {
    const q = reader.row(firstOffset + quotes.length);
    if (q === null) return null;
    quotes.push(q);
    const c = text.charCodeAt(reader.pos++);
    if (c === CLOSE) return reader.pos === text.length ? quotes : null;
    if (c !== COMMA) return null;
  }
}

class RowReader {
  text = '';
  pos = 0;

  /** A row at `offset`, or null. */
  row(offset: number): StreamQuote | null {
    const text = this.text;
    if (text.charCodeAt(this.pos) !== OPEN || text.charCodeAt(this.pos + 1) !== QUOTE) return null;
    const start = this.pos + 2;
    let end = start;
    for (;;) {
      const c = text.charCodeAt(end);
      if (c === QUOTE) break;
      if (c === 0x5c || !(c >= 0x20)) return null; // an escape, a control character, or the end (NaN)
      end++;
    }
    if (end === start) return null;
    const symbol = text.slice(start, end);
    this.pos = end + 1;
    const last = this.next();
    const bid = this.next();
    const ask = this.next();
    const open = this.next();
    const high = this.next();
    const low = this.next();
    const prevClose = this.next();
    const change = this.next();
    const changePct = this.next();
    const volume = this.next();
    const ts = this.next();
    const seq = this.next();
    const off = this.next();
    // NaN (not the simple form) spreads through the sum.
    if (Number.isNaN(last + bid + ask + open + high + low + prevClose + change + changePct + volume + ts + seq + off)) return null;
    if (text.charCodeAt(this.pos++) !== CLOSE || !Number.isSafeInteger(seq) || seq < 1 || off !== offset) return null;
    return { symbol, last, bid, ask, open, high, low, prevClose, change, changePct, volume, ts, seq, offset: off };
  }

  /** `,` then a number: `-?(0|[1-9][0-9]*)(.[0-9]+)?` of at most 15 digits, or NaN. */
  private next(): number {
    const text = this.text;
    let pos = this.pos;
    if (text.charCodeAt(pos++) !== COMMA) return NaN;
    let c = text.charCodeAt(pos);
    const negative = c === MINUS;
    if (negative) c = text.charCodeAt(++pos);
    let m = 0;
    let digits = 0;
    let decimals = 0;
    if (c === DIGIT_0) c = text.charCodeAt(++pos);
    else if (c > DIGIT_0 && c <= DIGIT_9) {
      do {
        m = m * 10 + (c - DIGIT_0);
        digits++;
        c = text.charCodeAt(++pos);
      } while (c >= DIGIT_0 && c <= DIGIT_9);
    } else return NaN;
    if (c === DOT) {
      c = text.charCodeAt(++pos);
      if (!(c >= DIGIT_0 && c <= DIGIT_9)) return NaN;
      do {
        m = m * 10 + (c - DIGIT_0);
        digits++;
        decimals++;
        c = text.charCodeAt(++pos);
      } while (c >= DIGIT_0 && c <= DIGIT_9);
    }
    // After a number comes `,` or `]`; anything else (an exponent, a leading zero's digits) is not ours.
    if ((c !== COMMA && c !== CLOSE) || digits > 15) return NaN;
    this.pos = pos;
    const v = decimals === 0 ? m : m / POW10[decimals]!;
    return negative ? -v : v;
  }
}

const reader = new RowReader();
