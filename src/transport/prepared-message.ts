import { Opcode } from '../protocol/constants.js';
import { encodeFrame, encodeTextFrame, serverFrameHeaderLength, writeServerFrameHeader } from '../protocol/frame-encoder.js';
import { deflateMessage } from '../protocol/deflate-codec.js';

export interface PreparedMessageOptions {
  /** Also offer a permessage-deflate variant to connections that negotiated it (computed once, on first use). */
  deflate?: boolean;
  /** Messages smaller than this are never compressed: the deflate block overhead would outweigh the gain. */
  deflateThreshold?: number;
  /** zlib level for the shared compressed frame (1 = fastest; broadcast favours speed). */
  deflateLevel?: number;
}

const DEFAULT_THRESHOLD = 64;

/**
 * One message encoded once and written to many connections ("encode once, write many").
 *
 * Holds the complete unmasked server frame; the compressed variant is built lazily the first time a
 * connection that negotiated permessage-deflate asks for it, and then shared by every such connection.
 * That is only valid because our compressor never uses context takeover (see docs/handshake-and-deflate.md).
 */
export class PreparedMessage {
  readonly isText: boolean;
  /** The whole frame (header + payload) as written to uncompressed connections. */
  readonly frame: Buffer;
  private readonly headerLength: number;
  private readonly deflateWanted: boolean;
  private readonly deflateLevel: number;
  private deflated: Map<number, Buffer> | null = null;

  private constructor(frame: Buffer, headerLength: number, isText: boolean, options: PreparedMessageOptions | undefined) {
    this.frame = frame;
    this.headerLength = headerLength;
    this.isText = isText;
    const payloadLength = frame.length - headerLength;
    this.deflateWanted = options?.deflate === true && payloadLength >= (options.deflateThreshold ?? DEFAULT_THRESHOLD);
    this.deflateLevel = options?.deflateLevel ?? 1;
  }

  static text(data: string | Buffer, options?: PreparedMessageOptions): PreparedMessage {
    const frame = typeof data === 'string' ? encodeTextFrame(data) : encodeFrame(Opcode.Text, data);
    return new PreparedMessage(frame, headerLengthOf(frame), true, options);
  }

  /**
   * A text message whose payload is `head`, then `parts` separated by the byte `separator`, then
   * `tail` (e.g. a JSON array of pre-encoded elements). The parts are copied straight into one frame
   * buffer behind the header: no intermediate string, no UTF-8 re-encoding. The caller guarantees the
   * bytes are valid UTF-8 (they usually come from Buffer.from(string)).
   */
  static textJoined(
    head: Buffer,
    parts: readonly Buffer[],
    separator: number,
    tail: Buffer,
    options?: PreparedMessageOptions,
  ): PreparedMessage {
    const count = parts.length;
    let payloadLength = head.length + tail.length + (count > 0 ? count - 1 : 0);
    for (let i = 0; i < count; i++) payloadLength += parts[i]!.length;
    const frame = Buffer.allocUnsafe(serverFrameHeaderLength(payloadLength) + payloadLength);
    const headerLength = writeServerFrameHeader(frame, Opcode.Text, payloadLength);
    // Uint8Array#set is a V8 builtin memmove: cheaper than Buffer#copy's binding for small parts.
    frame.set(head, headerLength);
    let offset = headerLength + head.length;
    for (let i = 0; i < count; i++) {
      if (i > 0) frame[offset++] = separator;
      const part = parts[i]!;
      frame.set(part, offset);
      offset += part.length;
    }
    frame.set(tail, offset);
    return new PreparedMessage(frame, headerLength, true, options);
  }

  static binary(data: Buffer, options?: PreparedMessageOptions): PreparedMessage {
    const frame = encodeFrame(Opcode.Binary, data);
    return new PreparedMessage(frame, headerLengthOf(frame), false, options);
  }

  /** Bytes of the uncompressed frame. */
  get byteLength(): number {
    return this.frame.length;
  }

  /** The message payload (a view into the frame, no copy). */
  get payload(): Buffer {
    return this.frame.subarray(this.headerLength);
  }

  /**
   * The frame to write to a connection that negotiated permessage-deflate with this window size,
   * or the plain frame when compression was not asked for or does not pay off.
   */
  frameForDeflate(windowBits: number): Buffer {
    if (!this.deflateWanted) return this.frame;
    let cache = this.deflated;
    if (cache === null) cache = this.deflated = new Map();
    let frame = cache.get(windowBits);
    if (frame === undefined) {
      const compressed = deflateMessage(this.payload, windowBits, this.deflateLevel);
      frame =
        compressed.length < this.frame.length - this.headerLength
          ? encodeFrame(this.isText ? Opcode.Text : Opcode.Binary, compressed, { rsv1: true })
          : this.frame;
      cache.set(windowBits, frame);
    }
    return frame;
  }
}

/** Length of an unmasked server frame header, from its second byte (section 5.2). */
function headerLengthOf(frame: Buffer): number {
  const len7 = frame[1]! & 0x7f;
  return len7 < 126 ? 2 : len7 === 126 ? 4 : 10;
}
