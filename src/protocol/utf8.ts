/**
 * UTF-8 validation for text messages and close reasons (RFC 6455 sections 5.6, 8.1; RFC 3629).
 *
 * Two tools:
 *  - isValidUtf8: the whole-buffer check (native buffer.isUtf8), used when a complete text payload
 *    is at hand in one piece.
 *  - Utf8Validator: an incremental state machine for text that arrives in pieces (fragments, or
 *    one frame split over several reads). It reports an invalid byte as soon as it is pushed, so
 *    the connection can fail fast (Autobahn 6.4.x) without waiting for the end of the message.
 */
import { isUtf8 } from 'node:buffer';

export function isValidUtf8(buf: Buffer): boolean {
  return isUtf8(buf);
}

/** Pushed ranges at least this long are checked natively (isUtf8) instead of byte by byte. */
const NATIVE_RANGE_THRESHOLD = 64;

/**
 * Incremental UTF-8 validator. Its whole state is the number of continuation bytes still
 * expected and the allowed range of the next one, which is how overlongs (E0 80..9F, F0 80..8F),
 * surrogates (ED A0..BF) and code points above U+10FFFF (F4 90..BF) are rejected. C0, C1 and
 * F5..FF can never start a sequence.
 */
export class Utf8Validator {
  private pending = 0; // continuation bytes still expected by the current sequence
  private low = 0x80; // allowed range of the next continuation byte
  private high = 0xbf;
  private failed = false;

  /** Validates bytes[start, end). Returns false when any pushed byte made the text invalid (sticky). */
  push(bytes: Buffer, start = 0, end: number = bytes.length): boolean {
    if (this.failed) return false;
    let i = start;
    // Finish a sequence left open by the previous push.
    if (this.pending !== 0) {
      i = this.step(bytes, i, end, true);
      if (i < 0) return this.fail();
    }
    // Long runs: validate the complete sequences natively, keep only a trailing partial one for
    // the state machine.
    if (end - i >= NATIVE_RANGE_THRESHOLD) {
      const boundary = completeSequencesEnd(bytes, i, end);
      if (!isUtf8(bytes.subarray(i, boundary))) return this.fail();
      i = boundary;
    }
    if (this.step(bytes, i, end, false) < 0) return this.fail();
    return true;
  }

  /** True when no multi-byte sequence is waiting for continuation bytes. */
  get isComplete(): boolean {
    return this.pending === 0 && !this.failed;
  }

  reset(): void {
    this.pending = 0;
    this.low = 0x80;
    this.high = 0xbf;
    this.failed = false;
  }

  private fail(): false {
    this.failed = true;
    return false;
  }

  /**
   * Runs the state machine over bytes[i, end). With `stopWhenComplete` it returns at the first
   * sequence boundary. Returns the index where it stopped, or -1 at an invalid byte.
   */
  private step(bytes: Buffer, i: number, end: number, stopWhenComplete: boolean): number {
    let pending = this.pending;
    let low = this.low;
    let high = this.high;
    for (; i < end; i++) {
      const b = bytes[i]!;
      if (pending === 0) {
        if (stopWhenComplete) break;
        if (b < 0x80) continue;
        if (b < 0xc2) return -1; // stray continuation byte, or C0/C1 (overlong 2-byte form)
        if (b < 0xe0) {
          pending = 1;
        } else if (b < 0xf0) {
          pending = 2;
          if (b === 0xe0) low = 0xa0; // overlong 3-byte form
          else if (b === 0xed) high = 0x9f; // UTF-16 surrogates D800..DFFF
        } else if (b < 0xf5) {
          pending = 3;
          if (b === 0xf0) low = 0x90; // overlong 4-byte form
          else if (b === 0xf4) high = 0x8f; // above U+10FFFF
        } else {
          return -1; // F5..FF: above U+10FFFF or never valid
        }
      } else {
        if (b < low || b > high) return -1;
        pending--;
        low = 0x80;
        high = 0xbf;
      }
    }
    this.pending = pending;
    this.low = low;
    this.high = high;
    return i;
  }
}

/**
 * End of the last complete sequence in bytes[start, end): backs up over a trailing lead byte whose
 * continuation bytes have not all arrived yet. Invalid tails are left in range for isUtf8 to reject.
 */
function completeSequencesEnd(bytes: Buffer, start: number, end: number): number {
  const lowest = Math.max(start, end - 4);
  for (let j = end - 1; j >= lowest; j--) {
    const b = bytes[j]!;
    if ((b & 0xc0) === 0x80) continue; // continuation byte: keep looking for its lead byte
    const length = b < 0x80 ? 1 : b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return j + length > end ? j : end;
  }
  return end;
}
