/**
 * A growable byte buffer for the binary wire format: varints, zig-zag varints, float64 and
 * length-prefixed UTF-8. Plain Uint8Array/DataView (no Node Buffer), so browsers can use it.
 */
const textEncoder = new TextEncoder();

/** `s` as UTF-8 (lone surrogates become U+FFFD, as TextEncoder does). */
export function utf8(s: string): Uint8Array {
  return textEncoder.encode(s);
}

export class ByteWriter {
  private buf: Uint8Array;
  private view: DataView;
  /** Bytes written so far. */
  pos = 0;

  constructor(initialCapacity = 512) {
    this.buf = new Uint8Array(initialCapacity);
    this.view = new DataView(this.buf.buffer);
  }

  /** Starts over, keeping the allocated buffer. */
  reset(): void {
    this.pos = 0;
  }

  /** A copy of the bytes written (the writer may be reused afterwards). */
  finish(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }

  /** Drops a buffer grown above `maxKeep` bytes (one huge snapshot must not pin its size forever). */
  trim(maxKeep: number, initialCapacity = 512): void {
    this.pos = 0;
    if (this.buf.length <= maxKeep) return;
    this.buf = new Uint8Array(initialCapacity);
    this.view = new DataView(this.buf.buffer);
  }

  /** Makes room for `n` more bytes. */
  ensure(n: number): void {
    const need = this.pos + n;
    if (need <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  u8(b: number): void {
    this.ensure(1);
    this.buf[this.pos++] = b;
  }

  /** Unsigned LEB128 of a safe non-negative integer (1..8 bytes). The caller guarantees the range. */
  varuint(n: number): void {
    this.ensure(8);
    const buf = this.buf;
    let pos = this.pos;
    if (n < 0x80000000) {
      // 32-bit fast path
      while (n >= 0x80) {
        buf[pos++] = (n & 0x7f) | 0x80;
        n >>>= 7;
      }
      buf[pos++] = n;
    } else {
      while (n >= 0x80) {
        buf[pos++] = (n % 128) | 0x80;
        n = Math.floor(n / 128);
      }
      buf[pos++] = n;
    }
    this.pos = pos;
  }

  /**
   * Zig-zag varint of a safe integer n (|n| <= 2^53 - 1): the varuint of z = 2n for n >= 0 and
   * z = -2n - 1 for n < 0. Written without forming z (which can exceed 2^53): the first byte holds the
   * sign bit and 6 bits of the magnitude m (m = n, or -n - 1 when negative), the rest is m / 64 as LEB128.
   */
  zigzag(n: number): void {
    if (n >= -0x40000000 && n < 0x40000000) {
      this.varuint(((n << 1) ^ (n >> 31)) >>> 0);
      return;
    }
    this.ensure(8);
    const negative = n < 0;
    let m = negative ? -n - 1 : n;
    const buf = this.buf;
    let pos = this.pos;
    const first = ((m % 64) << 1) | (negative ? 1 : 0);
    m = Math.floor(m / 64);
    buf[pos++] = m > 0 ? first | 0x80 : first;
    while (m > 0) {
      buf[pos++] = m >= 0x80 ? (m % 128) | 0x80 : m;
      m = Math.floor(m / 128);
    }
    this.pos = pos;
  }

  /** IEEE-754 double, little-endian. */
  f64(x: number): void {
    this.ensure(8);
    this.view.setFloat64(this.pos, x, true);
    this.pos += 8;
  }

  bytes(src: Uint8Array): void {
    this.ensure(src.length);
    this.buf.set(src, this.pos);
    this.pos += src.length;
  }

  /** `str`: varuint byte length, then the UTF-8 bytes. */
  str(s: string): void {
    if (typeof s !== 'string') throw new TypeError(`binary encoder: expected a string, got ${describe(s)}`);
    const n = s.length;
    if (n < 0x80) {
      // ASCII fast path: one byte per char and a one-byte length.
      this.ensure(n + 1);
      const buf = this.buf;
      const start = this.pos + 1;
      let i = 0;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        buf[start + i] = c;
      }
      if (i === n) {
        buf[this.pos] = n;
        this.pos = start + n;
        return;
      }
    }
    const encoded = textEncoder.encode(s);
    this.varuint(encoded.length);
    this.bytes(encoded);
  }
}

/** A short description of a value for an encoder's error message. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return `string ${JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value)}`;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return `${typeof value} ${String(value)}`;
  return typeof value;
}

/** The values varuint() carries exactly: safe integers >= 0, not -0. */
export function isVaruint(n: number): boolean {
  return Number.isSafeInteger(n) && (n > 0 || (n === 0 && 1 / n > 0));
}
