/**
 * Bytes in -> messages and control events out (RFC 6455 sections 5.2-5.8, 7.1.7, 8.1).
 *
 * Sans-I/O: push() takes whatever chunk the socket produced, split at any byte, and calls the sink
 * synchronously for every complete message, ping, pong or close. Every violation of the protocol
 * becomes exactly one onProtocolError call (never a throw), after which the parser ignores input.
 *
 * Zero-copy: push() takes ownership of the chunk. A payload lying entirely inside one chunk is
 * unmasked in place and handed out as a view of that chunk. A payload spanning chunks is kept as
 * views of its pieces and copied once when the message is assembled; a piece much smaller than
 * the chunk it lies in is copied instead of pinning that chunk.
 */
import { CloseCode, Defaults, Opcode, type Role } from './constants.js';
import { ProtocolError } from './errors.js';
import { parseClosePayload } from './close.js';
import { maskRange } from './mask.js';
import { isValidUtf8, Utf8Validator } from './utf8.js';

export interface FrameSink {
  /** A complete message; text is already UTF-8 validated, compressed messages already inflated. */
  onMessage(data: Buffer, isText: boolean): void;
  onPing(payload: Buffer): void;
  onPong(payload: Buffer): void;
  /** A valid close frame; code 1005 (NoStatus) when it had no payload. The parser stops reading. */
  onClose(code: number, reason: string): void;
  /** The parser is dead afterwards; the transport sends close(error.closeCode) and fails the connection. */
  onProtocolError(error: ProtocolError): void;
}

export interface MessageInflater {
  /**
   * Decompresses one whole message made of these compressed fragment payloads (raw DEFLATE without
   * the 00 00 ff ff tail; the inflater appends it). Throws ProtocolError(1009) when the output would
   * exceed maxSize, ProtocolError(1007) on corrupt data.
   */
  inflate(fragments: Buffer[], maxSize: number): Buffer;
}

export interface FrameParserOptions {
  /** 'server': client frames MUST be masked; 'client': server frames MUST NOT be masked. */
  role: Role;
  /** Max message size in bytes (sum over fragments; and decompressed size). */
  maxPayload: number;
  /** Max frames per message; default Defaults.maxFragments. */
  maxFragments?: number;
  /** Non-null => RSV1 allowed on the first frame of a data message (compressed message). */
  inflater?: MessageInflater | null;
}

export type FrameParserState = 'open' | 'closed' | 'failed';

// Parser phases. READ_HEADER and READ_PAYLOAD are both the public 'open' state.
const READ_HEADER = 0;
const READ_PAYLOAD = 1;
const CLOSED = 2;
const FAILED = 3;

/** Largest frame header: 2 + 8 (64-bit length) + 4 (mask key). */
const MAX_HEADER_BYTES = 14;
const MAX_CONTROL_PAYLOAD = 125;
/**
 * A fragment kept as a view pins its whole chunk until the message completes. Views are kept only
 * when the fragment is at least 1/4 of the memory it pins; smaller ones are copied, so retained
 * memory stays within 4x maxPayload however the peer interleaves its frames.
 */
const MIN_VIEW_SHARE = 4;

const EMPTY = Buffer.alloc(0);

export class FrameParser {
  private readonly sink: FrameSink;
  private readonly isServer: boolean;
  private readonly maxPayload: number;
  private readonly maxFragments: number;
  private readonly inflater: MessageInflater | null;

  private phase = READ_HEADER;

  // Current frame. fin/opcode/length are valid from the first two header bytes on.
  private fin = false;
  private opcode = 0;
  private lengthCode = 0; // 7-bit length field: 0..125, or 126/127 for the extended forms
  private payloadLength = 0;
  private received = 0; // payload bytes of the current frame seen so far
  private maskKey = 0; // server role: the 4 key bytes as a big-endian int32
  private partialPayload: Buffer | null = null; // only while a control payload spans chunks
  private partialHeader: Buffer | null = null; // only once a header has spanned chunks
  private headerHave = 0;
  private headerNeeded = 0; // 0 until the first two bytes of a split header are known

  // Current data message (messageOpcode 0: none in progress).
  private messageOpcode = 0;
  private compressed = false;
  private messageSize = 0;
  private fragmentCount = 0;
  private fragments: Buffer[] | null = null;
  private utf8: Utf8Validator | null = null;
  private utf8Incremental = false; // this text message is validated piece by piece as it arrives

  // Flow control: while paused, input is kept (not parsed) and parsed again on resume().
  private paused = false;
  private pushing = false;
  private held: Buffer[] | null = null;

  constructor(sink: FrameSink, options: FrameParserOptions) {
    this.sink = sink;
    this.isServer = options.role === 'server';
    this.maxPayload = options.maxPayload;
    this.maxFragments = options.maxFragments ?? Defaults.maxFragments;
    this.inflater = options.inflater ?? null;
  }

  get state(): FrameParserState {
    return this.phase === CLOSED ? 'closed' : this.phase === FAILED ? 'failed' : 'open';
  }

  /**
   * Feeds bytes received from the peer. Takes ownership of `chunk`: masked payloads are unmasked in
   * place and delivered buffers may be views of it. Ignored once the state is 'closed' or 'failed'.
   * The sink must not call push() re-entrantly.
   */
  push(chunk: Buffer): void {
    if (this.paused || this.held !== null) {
      (this.held ??= []).push(chunk);
      return;
    }
    const end = chunk.length;
    let pos = 0;
    this.pushing = true;
    try {
      while (pos < end) {
        if (this.paused) {
          // The sink asked to stop (its peer is not reading what we send): keep the rest for resume().
          (this.held ??= []).push(chunk.subarray(pos));
          return;
        }
        if (this.phase === READ_HEADER) pos = this.readHeader(chunk, pos, end);
        else if (this.phase === READ_PAYLOAD) pos = this.readPayload(chunk, pos, end);
        else return;
      }
    } finally {
      this.pushing = false;
    }
  }

  /**
   * Stops delivering at the next frame boundary: bytes pushed from now on are kept, unparsed, until
   * resume(). This is how a server stops doing work for a client that does not read its answers.
   */
  pause(): void {
    this.paused = true;
  }

  /** Parses what was kept while paused, then carries on normally. Safe to call from a sink callback. */
  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    if (this.pushing) return; // called from inside push(): its loop simply continues
    const held = this.held;
    if (held === null) return;
    this.held = null;
    for (let i = 0; i < held.length; i++) this.push(held[i]!); // push() re-holds if paused again
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /** Bytes kept unparsed while paused (bounded by what the socket delivered before it was paused too). */
  get heldBytes(): number {
    let n = 0;
    if (this.held !== null) for (const b of this.held) n += b.length;
    return n;
  }

  /** A frame or a fragmented message has started and is not complete yet. */
  get midMessage(): boolean {
    return this.phase === READ_PAYLOAD || this.headerHave > 0 || this.messageOpcode !== 0;
  }

  // ---------------------------------------------------------------- header (section 5.2)

  private readHeader(chunk: Buffer, pos: number, end: number): number {
    if (this.headerHave === 0 && end - pos >= 2) {
      // Fast path: the header starts in this chunk, and usually ends in it too.
      const size = this.beginHeader(chunk[pos]!, chunk[pos + 1]!);
      if (size < 0) return end;
      if (end - pos >= size) {
        if (!this.endHeader(chunk, pos)) return end;
        return this.afterHeader(pos + size);
      }
      this.headerNeeded = size;
    }
    // Slow path: accumulate the header across chunks.
    const header = (this.partialHeader ??= Buffer.allocUnsafeSlow(MAX_HEADER_BYTES));
    while (pos < end) {
      header[this.headerHave++] = chunk[pos++]!;
      if (this.headerNeeded === 0) {
        if (this.headerHave < 2) continue;
        const size = this.beginHeader(header[0]!, header[1]!);
        if (size < 0) return end;
        this.headerNeeded = size;
      }
      if (this.headerHave === this.headerNeeded) {
        this.headerHave = 0;
        this.headerNeeded = 0;
        if (!this.endHeader(header, 0)) return end;
        return this.afterHeader(pos);
      }
    }
    return pos;
  }

  /**
   * Checks the first two header bytes, which already decide most violations (fail fast, before
   * any length or key bytes arrive). Returns the full header size, or -1 after failing.
   */
  private beginHeader(b0: number, b1: number): number {
    const fin = (b0 & 0x80) !== 0;
    const rsv1 = (b0 & 0x40) !== 0;
    const opcode = b0 & 0x0f;
    const masked = (b1 & 0x80) !== 0;
    const lengthCode = b1 & 0x7f;

    if ((b0 & 0x30) !== 0) return this.fail(CloseCode.ProtocolError, 'RSV2/RSV3 set without a negotiated extension');
    if (opcode >= 0x08) {
      if (opcode !== Opcode.Close && opcode !== Opcode.Ping && opcode !== Opcode.Pong) {
        return this.fail(CloseCode.ProtocolError, `reserved control opcode ${opcode}`);
      }
      if (rsv1) return this.fail(CloseCode.ProtocolError, 'RSV1 set on a control frame');
      if (!fin) return this.fail(CloseCode.ProtocolError, 'fragmented control frame');
      if (lengthCode > MAX_CONTROL_PAYLOAD) {
        return this.fail(CloseCode.ProtocolError, 'control frame payload longer than 125 bytes');
      }
    } else if (opcode === Opcode.Continuation) {
      if (this.messageOpcode === 0) return this.fail(CloseCode.ProtocolError, 'continuation frame without a message to continue');
      if (rsv1) return this.fail(CloseCode.ProtocolError, 'RSV1 set on a continuation frame');
      if (this.fragmentCount >= this.maxFragments) {
        return this.fail(CloseCode.MessageTooBig, `message has more than ${this.maxFragments} fragments`);
      }
    } else if (opcode === Opcode.Text || opcode === Opcode.Binary) {
      if (this.messageOpcode !== 0) return this.fail(CloseCode.ProtocolError, 'new data frame while a fragmented message is in progress');
      if (rsv1 && this.inflater === null) return this.fail(CloseCode.ProtocolError, 'RSV1 set without permessage-deflate');
    } else {
      return this.fail(CloseCode.ProtocolError, `reserved data opcode ${opcode}`);
    }
    if (masked !== this.isServer) {
      return this.fail(
        CloseCode.ProtocolError,
        this.isServer ? 'unmasked frame from a client' : 'masked frame from a server',
      );
    }

    this.fin = fin;
    this.opcode = opcode;
    this.lengthCode = lengthCode;
    if (opcode === Opcode.Text || opcode === Opcode.Binary) this.compressed = rsv1;
    return 2 + (lengthCode === 126 ? 2 : lengthCode === 127 ? 8 : 0) + (masked ? 4 : 0);
  }

  /** Reads the extended length and the mask key of the header at buf[at]. False after failing. */
  private endHeader(buf: Buffer, at: number): boolean {
    let length = this.lengthCode;
    let keyAt = at + 2;
    if (length === 126) {
      length = buf.readUInt16BE(keyAt);
      keyAt += 2;
    } else if (length === 127) {
      const high = buf.readUInt32BE(keyAt);
      if (high >= 0x8000_0000) {
        this.fail(CloseCode.ProtocolError, '64-bit payload length with the most significant bit set');
        return false;
      }
      length = high * 0x1_0000_0000 + buf.readUInt32BE(keyAt + 4);
      keyAt += 8;
    }
    if (this.opcode < 0x08) {
      // The limit is checked on the announced length, before any of the payload is buffered.
      const messageSize = (this.opcode === Opcode.Continuation ? this.messageSize : 0) + length;
      if (messageSize > this.maxPayload) {
        this.fail(CloseCode.MessageTooBig, `message of ${messageSize}+ bytes exceeds the limit of ${this.maxPayload}`);
        return false;
      }
      if (this.opcode !== Opcode.Continuation) this.startMessage();
      this.messageSize = messageSize;
      this.fragmentCount++;
    }
    if (this.isServer) {
      this.maskKey = buf.readInt32BE(keyAt);
    }
    this.payloadLength = length;
    this.received = 0;
    return true;
  }

  private startMessage(): void {
    this.messageOpcode = this.opcode;
    this.fragmentCount = 0;
    // Text is validated as it arrives when it comes in several frames; a single frame found whole
    // in one chunk takes the native whole-buffer path instead (decided in readPayload).
    this.utf8Incremental = this.opcode === Opcode.Text && !this.compressed && !this.fin;
    if (this.utf8Incremental) this.resetUtf8();
  }

  /** The header is complete: a frame with no payload is complete too. */
  private afterHeader(pos: number): number {
    if (this.payloadLength === 0) {
      this.onFrame(EMPTY);
    } else {
      this.phase = READ_PAYLOAD;
    }
    return pos;
  }

  // ---------------------------------------------------------------- payload (sections 5.3, 5.4)

  private readPayload(chunk: Buffer, pos: number, end: number): number {
    const length = this.payloadLength;
    if (this.received === 0 && end - pos >= length) {
      // Zero-copy: the whole payload is in this chunk.
      const payloadEnd = pos + length;
      if (this.isServer) maskRange(chunk, pos, payloadEnd, this.maskKey, 0);
      this.onFrame(chunk.subarray(pos, payloadEnd));
      return payloadEnd;
    }
    const take = Math.min(end - pos, length - this.received);
    if (this.opcode >= 0x08) this.readControlPiece(chunk, pos, take);
    else this.readDataPiece(chunk, pos, take);
    return pos + take;
  }

  /**
   * A piece of a data payload that spans chunks. Nothing of the announced size is allocated up
   * front (a peer could announce maxPayload and send one byte): each piece is unmasked in place,
   * UTF-8 checked at once (fail fast), and kept as a fragment of the message.
   */
  private readDataPiece(chunk: Buffer, pos: number, take: number): void {
    const pieceEnd = pos + take;
    if (this.isServer) maskRange(chunk, pos, pieceEnd, this.maskKey, this.received);
    if (this.received === 0 && this.opcode === Opcode.Text && this.fin && !this.compressed) {
      // An unfragmented text frame that arrives split: validate it incrementally too.
      this.utf8Incremental = true;
      this.resetUtf8();
    }
    if (this.utf8Incremental && !this.utf8!.push(chunk, pos, pieceEnd)) {
      this.fail(CloseCode.InvalidPayload, 'invalid UTF-8 in text message');
      return;
    }
    this.keepFragment(chunk.subarray(pos, pieceEnd));
    this.received += take;
    if (this.received === this.payloadLength) this.onFrame(null);
  }

  /** A piece of a control payload (at most 125 bytes) that spans chunks: copied. */
  private readControlPiece(chunk: Buffer, pos: number, take: number): void {
    const target = (this.partialPayload ??= Buffer.allocUnsafe(this.payloadLength));
    const from = this.received;
    chunk.copy(target, from, pos, pos + take);
    if (this.isServer) maskRange(target, from, from + take, this.maskKey, from);
    this.received = from + take;
    if (this.received === this.payloadLength) {
      this.partialPayload = null;
      this.onFrame(target);
    }
  }

  private resetUtf8(): void {
    if (this.utf8 === null) this.utf8 = new Utf8Validator();
    else this.utf8.reset();
  }

  // ---------------------------------------------------------------- complete frames

  /**
   * The current frame is complete. `payload` is its whole (unmasked) payload, or null for a data
   * frame that arrived in pieces: those are already validated and stored in `fragments`.
   */
  private onFrame(payload: Buffer | null): void {
    this.phase = READ_HEADER;
    if (this.opcode >= 0x08) {
      this.onControlFrame(payload!);
      return;
    }

    if (this.utf8Incremental) {
      if (payload !== null && !this.utf8!.push(payload)) {
        this.fail(CloseCode.InvalidPayload, 'invalid UTF-8 in text message');
        return;
      }
      if (this.fin && !this.utf8!.isComplete) {
        this.fail(CloseCode.InvalidPayload, 'text message ends inside a UTF-8 sequence');
        return;
      }
    }

    if (payload !== null) {
      if (this.fin && this.fragmentCount === 1) {
        this.finishMessage(payload); // unfragmented and whole: deliver the view itself
        return;
      }
      this.keepFragment(payload);
    }
    if (this.fin) this.finishMessage(null);
  }

  /** Stores a fragment view, copying it when it is small next to the memory it would pin. */
  private keepFragment(view: Buffer): void {
    if (view.length === 0) return;
    let kept = view;
    if (view.length * MIN_VIEW_SHARE < view.buffer.byteLength) {
      kept = Buffer.allocUnsafe(view.length);
      view.copy(kept);
    }
    (this.fragments ??= []).push(kept);
  }

  /** Delivers the message: `single` when unfragmented and whole, else assembled from `fragments`. */
  private finishMessage(single: Buffer | null): void {
    const isText = this.messageOpcode === Opcode.Text;
    const compressed = this.compressed;
    const validatedIncrementally = this.utf8Incremental;
    const size = this.messageSize;
    const parts = single !== null ? null : (this.fragments ??= []);
    this.messageOpcode = 0;
    this.compressed = false;
    this.utf8Incremental = false;
    this.messageSize = 0;
    this.fragmentCount = 0;

    let message: Buffer;
    if (compressed) {
      const inflated = this.inflate(parts ?? [single!]);
      if (parts !== null) parts.length = 0;
      if (inflated === null) return;
      message = inflated;
    } else if (parts === null) {
      message = single!;
    } else {
      message = parts.length === 0 ? EMPTY : parts.length === 1 ? parts[0]! : Buffer.concat(parts, size);
      parts.length = 0; // the array is reused by the next fragmented message
    }

    if (isText && !validatedIncrementally && !isValidUtf8(message)) {
      this.fail(CloseCode.InvalidPayload, 'invalid UTF-8 in text message');
      return;
    }
    this.sink.onMessage(message, isText);
  }

  private inflate(parts: Buffer[]): Buffer | null {
    let out: Buffer;
    try {
      out = this.inflater!.inflate(parts, this.maxPayload);
    } catch (error) {
      if (error instanceof ProtocolError) this.failWith(error);
      else this.fail(CloseCode.InvalidPayload, `cannot inflate message: ${String(error)}`);
      return null;
    }
    if (out.length > this.maxPayload) {
      // Belt and braces: the inflater is supposed to stop at maxSize itself.
      this.fail(CloseCode.MessageTooBig, `inflated message exceeds the limit of ${this.maxPayload}`);
      return null;
    }
    return out;
  }

  private onControlFrame(payload: Buffer): void {
    if (this.opcode === Opcode.Ping) {
      this.sink.onPing(payload);
    } else if (this.opcode === Opcode.Pong) {
      this.sink.onPong(payload);
    } else {
      const close = parseClosePayload(payload);
      if (close instanceof ProtocolError) {
        this.failWith(close);
        return;
      }
      this.phase = CLOSED;
      this.release();
      this.sink.onClose(close.code, close.reason);
    }
  }

  // ---------------------------------------------------------------- failure

  /** Fails the parser; returns -1 so header checks can `return this.fail(...)`. */
  private fail(code: ProtocolError['closeCode'], message: string): -1 {
    this.failWith(new ProtocolError(code, message));
    return -1;
  }

  private failWith(error: ProtocolError): void {
    this.phase = FAILED;
    this.release();
    this.sink.onProtocolError(error);
  }

  /** Drops every buffer a dead parser would otherwise keep alive. */
  private release(): void {
    this.partialPayload = null;
    this.partialHeader = null;
    this.fragments = null;
    this.utf8 = null;
  }
}
