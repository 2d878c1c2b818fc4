import { constants, deflateRawSync, inflateRawSync } from 'node:zlib';
import type { InputType, ZlibOptions } from 'node:zlib';
import { kMaxLength } from 'node:buffer';
import type { Role } from './constants.js';
import { ProtocolError } from './errors.js';
import type { MessageInflater } from './frame-parser.js';
import { DeflateDefaults } from './permessage-deflate.js';
import type { DeflateParams } from './permessage-deflate.js';

/** RFC 7692 7.2.1: a sync flush ends with an empty stored block, which the sender strips. */
const SYNC_TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);
/** zlib refuses an 8-bit window for raw deflate; 9 is its smallest. */
const ZLIB_MIN_WINDOW_BITS = 9;
/** zlib keeps this much lookahead, so matches reach back at most 2^bits - 262 bytes. */
const ZLIB_MIN_LOOKAHEAD = 262;
const ZLIB_DEFAULT_CHUNK = 16 * 1024;
const ZLIB_MIN_CHUNK = 64;

/** Smallest window (>= 9, <= maxBits) that still lets every byte of a `length`-byte message be matched. */
function windowBitsFor(length: number, maxBits: number): number {
  let bits = ZLIB_MIN_WINDOW_BITS;
  while (bits < maxBits && (1 << bits) - ZLIB_MIN_LOOKAHEAD < length) bits++;
  return bits;
}

/**
 * Compresses one whole message on its own (no context takeover), so the result is valid for every
 * peer whatever it negotiated and can be written to all subscribers unchanged. Returns the payload
 * without the 00 00 ff ff tail.
 *
 * windowBits 8 (zlib cannot produce it) is served with a 9-bit window and Z_HUFFMAN_ONLY: output
 * made only of literals has no back-reference, hence fits any window size.
 */
export function deflateMessage(data: Buffer, windowBits: number, level: number): Buffer {
  const huffmanOnly = windowBits < ZLIB_MIN_WINDOW_BITS;
  const options: ZlibOptions = {
    level,
    // Smaller windows are always allowed and make zlib's per-call setup much cheaper for the
    // ~150-byte messages that dominate a quote feed.
    windowBits: windowBitsFor(data.length, huffmanOnly ? ZLIB_MIN_WINDOW_BITS : windowBits),
    strategy: huffmanOnly ? constants.Z_HUFFMAN_ONLY : constants.Z_DEFAULT_STRATEGY,
    finishFlush: constants.Z_SYNC_FLUSH,
    // zlib returns a view of its output chunk: size the chunk like the message so a small frame
    // does not pin 16 KB while it waits in send queues.
    chunkSize: Math.max(ZLIB_MIN_CHUNK, Math.min(ZLIB_DEFAULT_CHUNK, data.length + 64)),
  };
  const out = deflateRawSync(data, options);
  return out.subarray(0, out.length - SYNC_TAIL.length);
}

function joinWithTail(fragments: Buffer[]): Buffer {
  let length = SYNC_TAIL.length;
  for (let i = 0; i < fragments.length; i++) length += fragments[i].length;
  const input = Buffer.allocUnsafe(length);
  let offset = 0;
  for (let i = 0; i < fragments.length; i++) offset += fragments[i].copy(input, offset);
  SYNC_TAIL.copy(input, offset);
  return input;
}

/**
 * Per-connection permessage-deflate codec, synchronous (sans-I/O: no callbacks, no threadpool).
 *
 * Inflate context takeover without a persistent zlib stream: a raw inflater primed with the last
 * 2^windowBits bytes of earlier output as its dictionary decodes exactly what a persistent one
 * would, because a back-reference can only reach that far. The window buffer is allocated on the
 * first compressed message and only when the peer is allowed to keep context.
 */
export class PerMessageDeflate implements MessageInflater {
  readonly #compressBits: number;
  readonly #level: number;
  readonly #threshold: number;
  /** The peer may reference previous messages (its no_context_takeover was not negotiated). */
  readonly #peerKeepsContext: boolean;
  readonly #windowSize: number;
  #window: Buffer | null = null;
  #windowLength = 0;

  constructor(role: Role, params: DeflateParams, options: { level?: number; threshold?: number } = {}) {
    const isServer = role === 'server';
    this.#compressBits = isServer ? params.serverMaxWindowBits : params.clientMaxWindowBits;
    this.#peerKeepsContext = isServer ? !params.clientNoContextTakeover : !params.serverNoContextTakeover;
    const peerBits = isServer ? params.clientMaxWindowBits : params.serverMaxWindowBits;
    // zlib-based peers silently use a 9-bit window when 8 was negotiated; keeping 512 bytes
    // decodes them too and costs 256 bytes.
    this.#windowSize = 1 << Math.max(peerBits, ZLIB_MIN_WINDOW_BITS);
    this.#level = options.level ?? DeflateDefaults.level;
    this.#threshold = options.threshold ?? DeflateDefaults.threshold;
    if (!Number.isInteger(this.#level) || this.#level < -1 || this.#level > 9) {
      throw new RangeError(`level must be an integer from -1 to 9, got ${this.#level}`);
    }
  }

  shouldCompress(byteLength: number): boolean {
    return byteLength >= this.#threshold;
  }

  deflate(data: Buffer): Buffer {
    return deflateMessage(data, this.#compressBits, this.#level);
  }

  inflate(fragments: Buffer[], maxSize: number): Buffer {
    const input: InputType = joinWithTail(fragments);
    const options: ZlibOptions = {
      // A 15-bit window decodes streams made with any smaller window.
      windowBits: 15,
      finishFlush: constants.Z_SYNC_FLUSH,
      // zlib stops and throws as soon as the output passes this: a zip bomb costs ~maxSize of memory.
      maxOutputLength: Math.max(1, Math.min(maxSize, kMaxLength)),
    };
    if (this.#peerKeepsContext && this.#windowLength > 0) {
      options.dictionary = (this.#window as Buffer).subarray(0, this.#windowLength);
    }
    let out: Buffer;
    try {
      out = inflateRawSync(input, options);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
        throw new ProtocolError(1009, `decompressed message exceeds ${maxSize} bytes`);
      }
      throw new ProtocolError(1007, `invalid compressed data: ${(err as Error).message}`);
    }
    if (out.length > maxSize) throw new ProtocolError(1009, `decompressed message exceeds ${maxSize} bytes`);
    if (this.#peerKeepsContext) this.#remember(out);
    return out;
  }

  /** Slides the dictionary window: keep the last #windowSize bytes of all output so far. */
  #remember(out: Buffer): void {
    const size = this.#windowSize;
    const window = (this.#window ??= Buffer.allocUnsafe(size));
    if (out.length >= size) {
      out.copy(window, 0, out.length - size);
      this.#windowLength = size;
      return;
    }
    const keep = Math.min(this.#windowLength, size - out.length);
    window.copyWithin(0, this.#windowLength - keep, this.#windowLength);
    out.copy(window, keep);
    this.#windowLength = keep + out.length;
  }
}
