/**
 * A bounds-checked reader over one binary frame. Every read either returns a value that is within
 * the format's ranges or throws BinaryDecodeError: a truncated or malformed frame never yields
 * garbage, and no loop runs longer than the bytes left allow.
 */
import { MAX_SAFE } from './constants.js';

/** A frame that is not a valid `tickstream.bin.v1` message: truncated, malformed or of another version. */
export class BinaryDecodeError extends Error {
  override readonly name = 'BinaryDecodeError';
  /** The byte offset in the frame where decoding failed. */
  readonly offset: number;

  constructor(message: string, offset: number) {
    super(`tickstream.bin.v1: ${message} (at byte ${offset})`);
    this.offset = offset;
  }
}

const textDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Strings up to this many bytes are decoded by hand when they are ASCII. */
const ASCII_FAST_MAX = 64;

export class ByteReader {
  readonly bytes: Uint8Array;
  private readonly view: DataView;
  pos = 0;
  readonly end: number;

  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.end = bytes.length;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  fail(message: string, at: number = this.pos): never {
    throw new BinaryDecodeError(message, at);
  }

  private truncated(what: string, need: number): never {
    this.fail(`truncated frame: ${what} needs ${need} byte${need === 1 ? '' : 's'}, ${this.remaining} left of ${this.end}`);
  }

  u8(what: string): number {
    if (this.pos >= this.end) this.truncated(what, 1);
    return this.bytes[this.pos++]!;
  }

  /** Unsigned LEB128: at most 8 bytes, at most 2^53 - 1, no redundant trailing zero byte. */
  varuint(what: string): number {
    const bytes = this.bytes;
    const start = this.pos;
    let pos = start;
    if (pos >= this.end) this.truncated(what, 1);
    let b = bytes[pos++]!;
    if (b < 0x80) {
      this.pos = pos;
      return b;
    }
    let value = b & 0x7f;
    let scale = 128;
    for (let i = 1; ; i++) {
      if (i === 8) this.fail(`${what}: varint longer than 8 bytes`, start);
      if (pos >= this.end) {
        this.pos = pos;
        this.truncated(what, 1);
      }
      b = bytes[pos++]!;
      value += (b & 0x7f) * scale;
      if (b < 0x80) {
        if (b === 0) this.fail(`${what}: overlong varint (redundant zero byte)`, start);
        break;
      }
      scale *= 128;
    }
    if (value > MAX_SAFE) this.fail(`${what}: varint ${value} above 2^53 - 1`, start);
    this.pos = pos;
    return value;
  }

  /** Zig-zag varint: a signed integer within +-(2^53 - 1). */
  zigzag(what: string): number {
    const bytes = this.bytes;
    const start = this.pos;
    if (start >= this.end) this.truncated(what, 1);
    const first = bytes[start]!;
    if (first < 0x80) {
      this.pos = start + 1;
      return first & 1 ? -((first >>> 1) + 1) : first >>> 1;
    }
    // First byte: sign bit and 6 magnitude bits; the rest is the magnitude / 64 as LEB128.
    let m = (first & 0x7e) >>> 1;
    let pos = start + 1;
    let scale = 64;
    for (let i = 1; ; i++) {
      if (i === 8) this.fail(`${what}: varint longer than 8 bytes`, start);
      if (pos >= this.end) {
        this.pos = pos;
        this.truncated(what, 1);
      }
      const b = bytes[pos++]!;
      m += (b & 0x7f) * scale;
      if (b < 0x80) {
        if (b === 0) this.fail(`${what}: overlong varint (redundant zero byte)`, start);
        break;
      }
      scale *= 128;
    }
    const negative = (first & 1) === 1;
    if (m > (negative ? MAX_SAFE - 1 : MAX_SAFE)) this.fail(`${what}: zig-zag varint outside +-(2^53 - 1)`, start);
    this.pos = pos;
    return negative ? -m - 1 : m;
  }

  /** IEEE-754 double, little-endian. */
  f64(what: string): number {
    if (this.end - this.pos < 8) this.truncated(what, 8);
    const x = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return x;
  }

  /** `str`: varuint byte length, then that many bytes of valid UTF-8. */
  str(what: string): string {
    const n = this.varuint(`${what} length`);
    const start = this.pos;
    if (n > this.end - start) this.truncated(what, n);
    const bytes = this.bytes;
    const stop = start + n;
    if (n <= ASCII_FAST_MAX) {
      let s = '';
      let i = start;
      for (; i < stop; i++) {
        const c = bytes[i]!;
        if (c >= 0x80) break;
        s += String.fromCharCode(c);
      }
      if (i === stop) {
        this.pos = stop;
        return s;
      }
    }
    let s: string;
    try {
      s = textDecoder.decode(bytes.subarray(start, stop));
    } catch {
      return this.fail(`${what}: invalid UTF-8`, start);
    }
    this.pos = stop;
    return s;
  }

  /**
   * An element count (varuint), checked against the bytes left: each element takes at least
   * `minBytes`, so a hostile count cannot make the decoder loop or allocate beyond the frame.
   */
  count(what: string, minBytes: number): number {
    const start = this.pos;
    const n = this.varuint(what);
    if (n * minBytes > this.end - this.pos) {
      this.fail(`${what}: ${n} elements cannot fit in the ${this.end - this.pos} bytes left`, start);
    }
    return n;
  }
}
