/**
 * RFC 6455 section 5.3: client-to-server masking. Every payload byte i is XORed with
 * mask key byte (i mod 4). Masking and unmasking are the same operation.
 *
 * The hot loop works on 32-bit words: the four key bytes are rotated to the position of the first
 * word-aligned byte and packed into one word, then the aligned middle of the buffer is XORed a word
 * at a time through an Int32Array view. Only the (at most 3 + 3) unaligned edge bytes go one by one.
 */

/** Int32Array reads memory in platform order; the packed key word must follow it. */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Below this many bytes creating an Int32Array view costs more than the byte loop saves. */
const WORD_LOOP_THRESHOLD = 32;

/**
 * XORs `data` in place with the 4-byte `mask` (bytes mask[0..3]).
 * @param offset position in the mask cycle of data[0]: pass the number of payload bytes already
 *   unmasked when a payload arrives in several pieces (only `offset & 3` matters).
 */
export function applyMask(data: Buffer, mask: Buffer, offset = 0): void {
  maskRange(data, 0, data.length, mask.readInt32BE(0), offset);
}

/**
 * The allocation-free core of {@link applyMask}: XORs data[start, end) in place with `key`, the
 * four mask key bytes read as one big-endian 32-bit integer (as they appear on the wire), data[start]
 * being at position `phase` of the mask cycle. Holding the key as a number lets the parser keep it
 * in a plain field instead of a Buffer per connection.
 */
export function maskRange(data: Uint8Array, start: number, end: number, key: number, phase: number): void {
  let i = start;
  let p = phase & 3;

  if (end - start >= WORD_LOOP_THRESHOLD) {
    // Byte loop up to the first 4-byte aligned address (an Int32Array view must be aligned).
    const misalignment = (data.byteOffset + i) & 3;
    const lead = misalignment === 0 ? 0 : 4 - misalignment;
    for (const leadEnd = i + lead; i < leadEnd; i++, p = (p + 1) & 3) {
      data[i]! ^= keyByte(key, p);
    }
    const words = (end - i) >>> 2;
    // Key bytes as they line up with the 4 bytes of each aligned word.
    const r0 = keyByte(key, p);
    const r1 = keyByte(key, (p + 1) & 3);
    const r2 = keyByte(key, (p + 2) & 3);
    const r3 = keyByte(key, (p + 3) & 3);
    // Int32 (not Uint32) keeps every value a small integer for V8: no heap-number boxing.
    const keyWord = LITTLE_ENDIAN
      ? r0 | (r1 << 8) | (r2 << 16) | (r3 << 24)
      : (r0 << 24) | (r1 << 16) | (r2 << 8) | r3;
    const view = new Int32Array(data.buffer, data.byteOffset + i, words);
    let w = 0;
    // Unrolled by 8: measurably faster than the plain loop on large payloads.
    for (const unrolledEnd = words - 7; w < unrolledEnd; w += 8) {
      view[w]! ^= keyWord;
      view[w + 1]! ^= keyWord;
      view[w + 2]! ^= keyWord;
      view[w + 3]! ^= keyWord;
      view[w + 4]! ^= keyWord;
      view[w + 5]! ^= keyWord;
      view[w + 6]! ^= keyWord;
      view[w + 7]! ^= keyWord;
    }
    for (; w < words; w++) view[w]! ^= keyWord;
    i += words << 2; // a whole number of words keeps the phase unchanged
  }

  for (; i < end; i++, p = (p + 1) & 3) {
    data[i]! ^= keyByte(key, p);
  }
}

/** Byte `position` (0..3) of the big-endian key. */
function keyByte(key: number, position: number): number {
  return (key >>> (24 - (position << 3))) & 0xff;
}
