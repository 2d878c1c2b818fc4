/**
 * Frame bytes for the conformance suite, written independently of src/protocol so that the suite
 * does not share a bug with the engine it judges. The builder can produce any frame, legal or not
 * (reserved opcodes, RSV bits, oversized control frames, fragmented pings); the decoder reads what
 * the server sends and reports every way it breaks RFC 6455 framing.
 */
import { randomBytes } from 'node:crypto';

export const OP = {
  CONT: 0x0,
  TEXT: 0x1,
  BINARY: 0x2,
  CLOSE: 0x8,
  PING: 0x9,
  PONG: 0xa,
} as const;

export interface FrameSpec {
  opcode: number;
  payload?: Buffer | string;
  /** Default true. */
  fin?: boolean;
  /** The three reserved bits as a number 0-7: 4 = RSV1, 2 = RSV2, 1 = RSV3 (Autobahn's numbering). */
  rsv?: number;
  /** Default true: every client frame must be masked (RFC 6455 5.3). */
  masked?: boolean;
}

export function toBuffer(data: Buffer | string | undefined): Buffer {
  if (data === undefined) return Buffer.alloc(0);
  return typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
}

/** Encodes one client frame exactly as described, with a fresh random mask key. */
export function buildFrame(spec: FrameSpec): Buffer {
  const payload = toBuffer(spec.payload);
  const fin = spec.fin ?? true;
  const masked = spec.masked ?? true;
  const length = payload.length;
  const lengthBytes = length < 126 ? 0 : length < 0x10000 ? 2 : 8;
  const header = Buffer.alloc(2 + lengthBytes + (masked ? 4 : 0));
  header[0] = (fin ? 0x80 : 0) | (((spec.rsv ?? 0) & 7) << 4) | (spec.opcode & 0x0f);
  if (lengthBytes === 0) header[1] = length;
  else if (lengthBytes === 2) {
    header[1] = 126;
    header.writeUInt16BE(length, 2);
  } else {
    header[1] = 127;
    header.writeBigUInt64BE(BigInt(length), 2);
  }
  if (!masked) return Buffer.concat([header, payload]);
  header[1] |= 0x80;
  const key = randomBytes(4);
  key.copy(header, 2 + lengthBytes);
  const body = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) body[i] = payload[i] ^ key[i & 3];
  return Buffer.concat([header, body]);
}

/** A close frame payload: status code (if any) and reason bytes, as given (possibly invalid). */
export function closePayload(code?: number, reason: Buffer | string = ''): Buffer {
  if (code === undefined) return toBuffer(reason);
  const out = Buffer.alloc(2);
  out.writeUInt16BE(code, 0);
  return Buffer.concat([out, toBuffer(reason)]);
}

export interface ServerFrame {
  fin: boolean;
  rsv: number;
  opcode: number;
  payload: Buffer;
}

/**
 * Incremental decoder for server-to-client frames. Anything a server must never do is reported as
 * a violation string instead of being silently tolerated: masked frames, non-minimal length
 * encodings, 64-bit lengths with the top bit set, control frames that are long or fragmented.
 */
export class ServerFrameDecoder {
  private buffered: Buffer = Buffer.alloc(0);
  readonly violations: string[] = [];

  /** Feeds bytes; returns the frames completed by them. */
  push(chunk: Buffer): ServerFrame[] {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    const frames: ServerFrame[] = [];
    for (;;) {
      const frame = this.next();
      if (frame === null) break;
      frames.push(frame);
    }
    return frames;
  }

  get pendingBytes(): number {
    return this.buffered.length;
  }

  private next(): ServerFrame | null {
    const buf = this.buffered;
    if (buf.length < 2) return null;
    const b0 = buf[0];
    const b1 = buf[1];
    const masked = (b1 & 0x80) !== 0;
    let length = b1 & 0x7f;
    let offset = 2;
    if (length === 126) {
      if (buf.length < 4) return null;
      length = buf.readUInt16BE(2);
      if (length < 126) this.violations.push(`16-bit length field used for ${length} bytes`);
      offset = 4;
    } else if (length === 127) {
      if (buf.length < 10) return null;
      const big = buf.readBigUInt64BE(2);
      if (big >> 63n) this.violations.push('64-bit length with the most significant bit set');
      if (big < 0x10000n) this.violations.push(`64-bit length field used for ${big} bytes`);
      length = Number(big);
      offset = 10;
    }
    if (masked) {
      this.violations.push('server frame is masked');
      offset += 4;
    }
    if (buf.length < offset + length) return null;
    let payload = buf.subarray(offset, offset + length);
    if (masked) {
      const key = buf.subarray(offset - 4, offset);
      payload = Buffer.from(payload);
      for (let i = 0; i < payload.length; i++) payload[i] ^= key[i & 3];
    }
    const frame: ServerFrame = { fin: (b0 & 0x80) !== 0, rsv: (b0 >> 4) & 7, opcode: b0 & 0x0f, payload };
    if (frame.opcode >= 8 && (!frame.fin || length > 125)) {
      this.violations.push(`control frame opcode ${frame.opcode} fin=${frame.fin} length=${length}`);
    }
    this.buffered = buf.subarray(offset + length);
    return frame;
  }
}

/** Splits bytes into pieces of at most `size` bytes (Autobahn's "chopsize"). */
export function chop(bytes: Buffer, size: number): Buffer[] {
  const pieces: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += size) pieces.push(bytes.subarray(at, at + size));
  return pieces;
}

/** Splits a payload into `size`-byte fragments of one message (first keeps the opcode). */
export function fragmentMessage(opcode: number, payload: Buffer, size: number, rsvFirst = 0): Buffer[] {
  if (payload.length <= size) return [buildFrame({ opcode, payload, rsv: rsvFirst })];
  const frames: Buffer[] = [];
  for (let at = 0; at < payload.length; at += size) {
    const last = at + size >= payload.length;
    frames.push(
      buildFrame({ opcode: at === 0 ? opcode : OP.CONT, payload: payload.subarray(at, at + size), fin: last, rsv: at === 0 ? rsvFirst : 0 }),
    );
  }
  return frames;
}
