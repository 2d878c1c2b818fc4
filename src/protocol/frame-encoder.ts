/**
 * Frames out -> bytes (RFC 6455 section 5.2). Pure functions returning Buffers: the transport
 * decides when and where to write them. A frame built once can be written to any number of
 * server-side connections ("encode once, write many"); masked (client) frames carry a fresh key
 * each and so are built per connection.
 */
import { randomFillSync } from 'node:crypto';
import { Opcode } from './constants.js';
import { isValidCloseCode } from './close.js';
import { maskRange } from './mask.js';

export interface FrameOptions {
  /** Final fragment of the message (default true). */
  fin?: boolean;
  /** Set RSV1: the message is compressed with permessage-deflate (first frame only; default false). */
  rsv1?: boolean;
  /** Mask with a random key, as a client must (default false). */
  mask?: boolean;
}

/** Largest payload a control frame may carry (section 5.5). */
const MAX_CONTROL_PAYLOAD = 125;
/** Largest reason that fits a control frame next to the 2-byte code. */
const MAX_CLOSE_REASON_BYTES = MAX_CONTROL_PAYLOAD - 2;

/**
 * Mask keys must be unpredictable to the application (section 10.3), but one getrandom syscall
 * per frame is costly: keys are cut from a pool refilled 2048 keys at a time.
 */
const KEY_POOL_BYTES = 8192;
const keyPool = Buffer.allocUnsafeSlow(KEY_POOL_BYTES);
let keyPoolOffset = KEY_POOL_BYTES; // empty until the first masked frame

function takeMaskKey(target: Buffer, offset: number): void {
  if (keyPoolOffset === KEY_POOL_BYTES) {
    randomFillSync(keyPool);
    keyPoolOffset = 0;
  }
  target[offset] = keyPool[keyPoolOffset]!;
  target[offset + 1] = keyPool[keyPoolOffset + 1]!;
  target[offset + 2] = keyPool[keyPoolOffset + 2]!;
  target[offset + 3] = keyPool[keyPoolOffset + 3]!;
  keyPoolOffset += 4;
}

/** Header size for a payload length: 2 bytes, plus 2 or 8 for the extended length, plus the key. */
function headerSize(payloadLength: number, masked: boolean): number {
  const lengthBytes = payloadLength < 126 ? 0 : payloadLength <= 0xffff ? 2 : 8;
  return 2 + lengthBytes + (masked ? 4 : 0);
}

/** Writes the header (without the mask key) at offset 0; returns where the key/payload starts. */
function writeHeader(
  target: Buffer,
  opcode: number,
  payloadLength: number,
  fin: boolean,
  rsv1: boolean,
  masked: boolean,
): number {
  target[0] = (fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | opcode;
  const maskBit = masked ? 0x80 : 0;
  if (payloadLength < 126) {
    target[1] = maskBit | payloadLength;
    return 2;
  }
  if (payloadLength <= 0xffff) {
    target[1] = maskBit | 126;
    target.writeUInt16BE(payloadLength, 2);
    return 4;
  }
  target[1] = maskBit | 127;
  // Lengths are bounded by Number.MAX_SAFE_INTEGER (checked), so the high word never has its top bit set.
  target.writeUInt32BE(Math.floor(payloadLength / 0x1_0000_0000), 2);
  target.writeUInt32BE(payloadLength >>> 0, 6);
  return 10;
}

function checkOpcode(opcode: number): void {
  if (!Number.isInteger(opcode) || opcode < 0 || opcode > 0x0f) {
    throw new RangeError(`opcode must be an integer 0..15, got ${opcode}`);
  }
}

function checkLength(payloadLength: number): void {
  if (!Number.isSafeInteger(payloadLength) || payloadLength < 0) {
    throw new RangeError(`invalid payload length ${payloadLength}`);
  }
}

/** Refuses to build what the peer would have to reject: reserved opcodes, bad control frames. */
function checkFrame(opcode: number, payloadLength: number, fin: boolean, rsv1: boolean): void {
  checkOpcode(opcode);
  if (opcode >= 0x08) {
    if (opcode !== Opcode.Close && opcode !== Opcode.Ping && opcode !== Opcode.Pong) {
      throw new RangeError(`reserved control opcode ${opcode}`);
    }
    if (payloadLength > MAX_CONTROL_PAYLOAD) {
      throw new RangeError(`control frame payload of ${payloadLength} bytes exceeds 125`);
    }
    if (!fin) throw new RangeError('control frames cannot be fragmented');
    if (rsv1) throw new RangeError('RSV1 is not allowed on control frames');
  } else if (opcode > Opcode.Binary) {
    throw new RangeError(`reserved data opcode ${opcode}`);
  } else if (rsv1 && opcode === Opcode.Continuation) {
    throw new RangeError('RSV1 belongs on the first frame of a message only');
  }
}

/**
 * Builds a complete frame (header + payload) as one contiguous Buffer. With `mask`, a random key
 * is drawn and the copied payload is masked; `payload` itself is never modified.
 * @throws RangeError for a frame no peer may accept (reserved opcode, control frame > 125 bytes,
 *   fragmented control frame, RSV1 on a control or continuation frame).
 */
export function encodeFrame(opcode: number, payload: Buffer, options?: FrameOptions): Buffer {
  const fin = options?.fin ?? true;
  const rsv1 = options?.rsv1 ?? false;
  const mask = options?.mask ?? false;
  const length = payload.length;
  checkFrame(opcode, length, fin, rsv1);
  const frame = Buffer.allocUnsafe(headerSize(length, mask) + length);
  let offset = writeHeader(frame, opcode, length, fin, rsv1, mask);
  if (mask) {
    takeMaskKey(frame, offset);
    offset += 4;
    payload.copy(frame, offset);
    maskRange(frame, offset, frame.length, frame.readInt32BE(offset - 4), 0);
  } else {
    payload.copy(frame, offset);
  }
  return frame;
}

/**
 * Builds a complete text frame, encoding `text` as UTF-8 directly into the frame buffer.
 * JavaScript strings always encode to valid UTF-8 (lone surrogates become U+FFFD).
 */
export function encodeTextFrame(text: string, options?: { fin?: boolean; mask?: boolean }): Buffer {
  const fin = options?.fin ?? true;
  const mask = options?.mask ?? false;
  const length = Buffer.byteLength(text, 'utf8');
  const frame = Buffer.allocUnsafe(headerSize(length, mask) + length);
  let offset = writeHeader(frame, Opcode.Text, length, fin, false, mask);
  if (mask) {
    takeMaskKey(frame, offset);
    offset += 4;
    frame.write(text, offset, length, 'utf8');
    maskRange(frame, offset, frame.length, frame.readInt32BE(offset - 4), 0);
  } else {
    frame.write(text, offset, length, 'utf8');
  }
  return frame;
}

/**
 * Builds only the header of a frame, so a large payload can follow it in a writev without being
 * copied. With `maskKey` (4 bytes) the key is written into the header; masking the payload with it
 * (applyMask) is then the caller's job. Checks only the opcode range and the length, so that tests
 * can build deliberately invalid frames with it.
 */
export function encodeFrameHeader(
  opcode: number,
  payloadLength: number,
  fin: boolean,
  rsv1: boolean,
  maskKey: Buffer | null,
): Buffer {
  checkOpcode(opcode);
  checkLength(payloadLength);
  const masked = maskKey !== null;
  const header = Buffer.allocUnsafe(headerSize(payloadLength, masked));
  const offset = writeHeader(header, opcode, payloadLength, fin, rsv1, masked);
  if (masked) {
    if (maskKey.length < 4) throw new RangeError('mask key must be 4 bytes');
    maskKey.copy(header, offset, 0, 4);
  }
  return header;
}

/**
 * Payload of a close frame: 2-byte code + UTF-8 reason.
 * @throws RangeError when `code` may not be sent (see isValidCloseCode: e.g. 1005, 1006, 1015)
 *   or the reason is longer than 123 bytes once encoded.
 */
export function encodeClosePayload(code: number, reason = ''): Buffer {
  if (!isValidCloseCode(code)) throw new RangeError(`close code ${code} may not be sent`);
  const reasonBytes = Buffer.byteLength(reason, 'utf8');
  if (reasonBytes > MAX_CLOSE_REASON_BYTES) {
    throw new RangeError(`close reason of ${reasonBytes} bytes exceeds ${MAX_CLOSE_REASON_BYTES}`);
  }
  const payload = Buffer.allocUnsafe(2 + reasonBytes);
  payload.writeUInt16BE(code, 0);
  payload.write(reason, 2, reasonBytes, 'utf8');
  return payload;
}

/** Size of an unmasked, final, uncompressed server frame header for a payload of this length. */
export function serverFrameHeaderLength(payloadLength: number): number {
  checkLength(payloadLength);
  return headerSize(payloadLength, false);
}

/**
 * Writes an unmasked, final, uncompressed data-frame header at the start of `target`, for callers
 * that assemble the payload in place behind it; returns the header length (where the payload starts).
 * @throws RangeError for a control or reserved opcode, or an invalid length.
 */
export function writeServerFrameHeader(target: Buffer, opcode: number, payloadLength: number): number {
  checkFrame(opcode, payloadLength, true, false);
  if (opcode >= 0x08) throw new RangeError('writeServerFrameHeader builds data frames only');
  checkLength(payloadLength);
  return writeHeader(target, opcode, payloadLength, true, false, false);
}
