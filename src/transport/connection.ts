import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { CloseCode, CloseReason, Defaults, Opcode, type Role } from '../protocol/constants.js';
import type { ProtocolError } from '../protocol/errors.js';
import { FrameParser, type FrameSink } from '../protocol/frame-parser.js';
import { encodeClosePayload, encodeFrame, encodeFrameHeader, encodeTextFrame } from '../protocol/frame-encoder.js';
import { PerMessageDeflate } from '../protocol/deflate-codec.js';
import type { DeflateParams } from '../protocol/permessage-deflate.js';
import { ReadyState, type ReadyStateValue } from './ready-state.js';
import { discardPending, enqueueWrite, flushWriter, type CoalescedWriter } from './write-coalescer.js';
import { unwatchClosing, watchClosing, type ClosingConnection } from './close-sweeper.js';
import type { PreparedMessage } from './prepared-message.js';

export interface ConnectionEvents {
  message: [data: Buffer, isText: boolean];
  close: [code: number, reason: string];
  /** This end started the closing handshake (close() or a failure): the code and reason it sent. */
  closing: [code: number, reason: string];
  drain: [];
  ping: [payload: Buffer];
  pong: [payload: Buffer];
  error: [error: Error];
}

/**
 * Settings shared by every connection of one server (or one client call): kept in one object that each
 * connection points to, so 10k idle connections do not carry 10k copies of the same numbers.
 */
export interface ConnectionSettings {
  role: Role;
  maxPayload: number;
  /** Largest number of frames one fragmented message may use. */
  maxFragments: number;
  closeTimeoutMs: number;
  deflateLevel: number | undefined;
  deflateThreshold: number | undefined;
  /**
   * Outbound budget, counted over every byte queued for the peer (data, pongs, close): above
   * `highWaterMark` the connection stops reading from the peer until its queue drains; above
   * `hardLimit` it is failed at once with 1008 "slow consumer". 0 turns either off.
   */
  highWaterMark: number;
  hardLimit: number;
  /** Called once when a connection has closed (the server forgets it here, without a closure per connection). */
  onClosed: ((connection: WebSocketConnection) => void) | null;
}

export interface ConnectionOptions {
  settings: ConnectionSettings;
  /** Path and query of the upgrade request. */
  url: string;
  protocol: string;
  extensions: string;
  deflate: DeflateParams | null;
}

/** Settings with the engine's defaults filled in. */
export function connectionSettings(role: Role, overrides: Partial<ConnectionSettings> = {}): ConnectionSettings {
  return {
    role,
    maxPayload: overrides.maxPayload ?? Defaults.maxPayload,
    maxFragments: overrides.maxFragments ?? Defaults.maxFragments,
    closeTimeoutMs: overrides.closeTimeoutMs ?? Defaults.closeTimeoutMs,
    deflateLevel: overrides.deflateLevel,
    deflateThreshold: overrides.deflateThreshold,
    highWaterMark: overrides.highWaterMark ?? 0,
    hardLimit: overrides.hardLimit ?? 0,
    onClosed: overrides.onClosed ?? null,
  };
}

export interface SendOptions {
  /** For Buffer data: false sends it as a text frame (the caller vouches it is UTF-8). Default true. */
  binary?: boolean;
  /** false forces an uncompressed frame even when permessage-deflate was negotiated. */
  compress?: boolean;
}

/** Payloads above this are written as header + payload (writev) instead of being copied into one frame. */
const ZERO_COPY_THRESHOLD = 64 * 1024;
const EMPTY = Buffer.alloc(0);
/**
 * After we sent a close frame we read on only to find the peer's close frame (section 7.1.2). A peer
 * that keeps streaming instead (a flood the server closed for its rate) would otherwise make us parse
 * everything it sends until the close timeout: past this many bytes, we stop reading it.
 */
const MAX_BYTES_AFTER_CLOSE = 64 * 1024;
const kConnection = Symbol('tickstream.connection');
type OwnedSocket = Socket & { [kConnection]?: WebSocketConnection };

/**
 * One WebSocket connection over a Node socket, in either role.
 *
 * It owns the socket after the handshake: feeds bytes to the sans-I/O FrameParser (it is the parser's sink),
 * encodes outgoing frames, runs the closing handshake (section 7) and reports exactly one 'close'.
 * Memory matters at 10k+ idle connections, so the parser and the inflater are created on first use and the
 * socket listeners are shared module functions (no closures per connection).
 */
export class WebSocketConnection extends EventEmitter<ConnectionEvents> implements FrameSink, CoalescedWriter, ClosingConnection {
  readonly socket: Socket;
  readonly url: string;
  readonly protocol: string;
  readonly extensions: string;

  /** The client's address as the server resolved it (the TCP peer, or X-Forwarded-For from a trusted proxy). */
  clientAddress: string | undefined = undefined;

  /** Free slot for the application (the hub keeps its session here). */
  data: unknown = undefined;

  // CoalescedWriter
  pending: Buffer | Buffer[] | null = null;
  pendingBytes = 0;
  // ClosingConnection
  closeDeadline = 0;
  // Heartbeat bookkeeping, read by the server's single sweep timer.
  awaitingPong = false;
  lastSeenAt = 0;
  /** When the connection opened (ms), for a maximum lifetime. */
  openedAt = 0;
  /** Since when reading is paused because the peer does not read (0: reading). */
  readPausedAt = 0;
  /** Since when a frame or fragmented message from the peer is incomplete (0: none in progress). */
  messageStartedAt = 0;

  private state: ReadyStateValue = ReadyState.OPEN;
  private parser: FrameParser | null = null;
  private readonly settings: ConnectionSettings;
  private readonly deflateParams: DeflateParams | null;
  private codec: PerMessageDeflate | null = null;
  private closeSent = false;
  private bytesAfterClose = 0;
  private closeReceived = false;
  private failed = false;
  private endAfterFlush = false;
  private closeCode: number = CloseCode.Abnormal;
  private closeReason = '';

  constructor(socket: Socket, options: ConnectionOptions) {
    super();
    this.socket = socket;
    this.settings = options.settings;
    this.url = options.url;
    this.protocol = options.protocol;
    this.extensions = options.extensions;
    this.deflateParams = options.deflate;
    (socket as OwnedSocket)[kConnection] = this;
    socket.setNoDelay(true);
    socket.setTimeout(0);
    socket.on('close', onSocketClose);
    socket.on('error', onSocketError);
    socket.on('end', onSocketEnd);
    socket.on('drain', onSocketDrain);
  }

  /** Starts reading: `head` holds bytes that arrived together with the handshake. */
  start(head: Buffer | null): void {
    this.lastSeenAt = this.openedAt = Date.now();
    if (head !== null && head.length > 0) this.receive(head);
    if (this.socket.destroyed) return;
    this.socket.on('data', onSocketData);
    this.socket.resume();
  }

  get role(): Role {
    return this.settings.role;
  }

  /** The peer's IP address; read on demand (getpeername), not kept per connection. */
  get remoteAddress(): string | undefined {
    return this.socket.remoteAddress;
  }

  get readyState(): ReadyStateValue {
    return this.state;
  }

  /** Whether permessage-deflate was negotiated on this connection. */
  get deflate(): boolean {
    return this.deflateParams !== null;
  }

  /** Bytes accepted by send() but not yet handed to the kernel. */
  get bufferedAmount(): number {
    return this.pendingBytes + this.socket.writableLength;
  }

  /** Sends a string as a text frame, bytes as a binary frame (or text with `binary: false`). */
  send(message: string | Uint8Array, options?: SendOptions): boolean {
    if (this.state !== ReadyState.OPEN) return false;
    // A plain Uint8Array (e.g. from the wire codec, which avoids Buffer for browsers) is viewed as a Buffer.
    let data: string | Buffer =
      typeof message === 'string' || Buffer.isBuffer(message) ? message : Buffer.from(message.buffer, message.byteOffset, message.byteLength);
    const isText = typeof data === 'string' || options?.binary === false;
    const opcode = isText ? Opcode.Text : Opcode.Binary;
    const mask = this.role === 'client';
    if (this.deflateParams !== null && options?.compress !== false) {
      const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
      const codec = this.getCodec();
      if (codec.shouldCompress(bytes.length)) {
        this.writeFrame(encodeFrame(opcode, codec.deflate(bytes), { rsv1: true, mask }));
        this.checkOutbound();
        return true;
      }
      data = bytes;
    }
    if (typeof data === 'string') {
      this.writeFrame(encodeTextFrame(data, { mask }));
    } else if (!mask && data.length > ZERO_COPY_THRESHOLD) {
      this.writeFrame(encodeFrameHeader(opcode, data.length, true, false, null));
      this.writeFrame(data);
    } else {
      this.writeFrame(encodeFrame(opcode, data, { mask }));
    }
    this.checkOutbound();
    return true;
  }

  /** Writes a message encoded once for many connections (see PreparedMessage). */
  sendPrepared(message: PreparedMessage): boolean {
    if (this.state !== ReadyState.OPEN) return false;
    if (this.role === 'client') return this.send(message.payload, { binary: !message.isText });
    const params = this.deflateParams;
    this.writeFrame(params === null ? message.frame : message.frameForDeflate(params.serverMaxWindowBits));
    this.checkOutbound();
    return true;
  }

  ping(payload: Buffer | string = EMPTY): boolean {
    if (this.state !== ReadyState.OPEN) return false;
    const bytes = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
    if (bytes.length > 125) throw new RangeError('ping payload must be at most 125 bytes');
    this.writeFrame(encodeFrame(Opcode.Ping, bytes, { mask: this.role === 'client' }));
    this.checkOutbound();
    return true;
  }

  /** Starts the closing handshake (section 7.1.2). The 'close' event follows when it completes or times out. */
  close(code: number = CloseCode.Normal, reason = ''): void {
    if (this.state !== ReadyState.OPEN) return;
    const payload = code === CloseCode.NoStatus ? EMPTY : encodeClosePayload(code, reason);
    this.closeCode = code;
    this.closeReason = reason;
    this.sendClose(payload);
    if (this.listenerCount('closing') > 0) this.emit('closing', code, reason);
    if (this.closeReceived) this.endSocket();
  }

  /** Drops the TCP connection at once, without a closing handshake. */
  terminate(): void {
    if (this.state === ReadyState.CLOSED) return;
    this.state = ReadyState.CLOSING;
    this.socket.destroy();
  }

  // ---- FrameSink: called by the parser ----

  onMessage(data: Buffer, isText: boolean): void {
    this.emit('message', data, isText);
  }

  onPing(payload: Buffer): void {
    if (this.state === ReadyState.OPEN) {
      this.writeFrame(encodeFrame(Opcode.Pong, payload, { mask: this.role === 'client' }));
      this.checkOutbound();
    }
    if (this.listenerCount('ping') > 0) this.emit('ping', payload);
  }

  onPong(payload: Buffer): void {
    if (this.listenerCount('pong') > 0) this.emit('pong', payload);
  }

  onClose(code: number, reason: string): void {
    this.closeReceived = true;
    this.closeCode = code;
    this.closeReason = reason;
    if (!this.closeSent) {
      // Echo the peer's status code (section 5.5.1); 1005 means it sent none, so we send none either.
      this.sendClose(code === CloseCode.NoStatus ? EMPTY : encodeClosePayload(code));
    }
    // Both close frames exchanged: the server closes TCP first (section 7.1.1); a client waits for it.
    if (this.role === 'server') this.endSocket();
  }

  onProtocolError(error: ProtocolError): void {
    if (this.listenerCount('error') > 0) this.emit('error', error);
    this.fail(error.closeCode, error.message);
  }

  /**
   * Fails the connection (section 7.1.7): sends close(code) unless a close was already sent, stops
   * reading and half-closes TCP; the close timeout destroys the socket if the peer never answers.
   * The 'close' event then reports this code and reason.
   */
  fail(code: number, reason: string): void {
    if (this.state === ReadyState.CLOSED || this.failed) return;
    this.failed = true;
    this.closeCode = code;
    this.closeReason = reason;
    if (!this.closeSent) {
      this.sendClose(encodeClosePayload(code, truncateReason(reason)));
      if (this.listenerCount('closing') > 0) this.emit('closing', code, reason);
    }
    this.endSocket();
  }

  // ---- flow control ----

  /**
   * Applies the outbound budget after a frame was queued. Over the hard limit the frames not yet
   * handed to the socket are dropped (the peer would never read them) and the connection fails with
   * 1008; over the high-water mark reading stops, so a peer that does not read cannot make us work.
   */
  private checkOutbound(): void {
    const { highWaterMark, hardLimit } = this.settings;
    if (highWaterMark === 0 && hardLimit === 0) return;
    const buffered = this.pendingBytes + this.socket.writableLength;
    if (hardLimit > 0 && buffered > hardLimit) {
      discardPending(this);
      this.pauseReading();
      this.fail(CloseCode.PolicyViolation, CloseReason.SlowConsumer);
    } else if (highWaterMark > 0 && buffered > highWaterMark && this.readPausedAt === 0) {
      this.pauseReading();
    }
  }

  /** Whether reading is paused because the peer does not read. */
  get readPaused(): boolean {
    return this.readPausedAt !== 0;
  }

  private pauseReading(): void {
    if (this.readPausedAt !== 0) return;
    this.readPausedAt = Date.now();
    this.socket.pause();
    this.parser?.pause();
  }

  /** Resumes reading once the outbound queue is back under the high-water mark (drain, flush, or the sweep). */
  maybeResumeReading(): void {
    if (this.readPausedAt === 0 || this.state !== ReadyState.OPEN) return;
    if (this.pendingBytes + this.socket.writableLength > this.settings.highWaterMark) return;
    this.readPausedAt = 0;
    this.socket.resume();
    this.parser?.resume();
    // The time spent paused was ours, not the peer's: an unfinished message's clock restarts.
    this.messageStartedAt = 0;
    this.trackMessageStart();
  }

  // ---- internals ----

  /** Bytes from the socket. */
  receive(chunk: Buffer): void {
    if (this.closeSent) {
      this.bytesAfterClose += chunk.length;
      if (this.bytesAfterClose > MAX_BYTES_AFTER_CLOSE) {
        // Stop reading (no more work for this peer); the close timeout destroys the socket. Not
        // destroyed at once: a peer that reads still gets our close frame and its code.
        this.socket.pause();
        this.parser?.pause();
        return;
      }
    }
    this.lastSeenAt = Date.now();
    this.awaitingPong = false;
    let parser = this.parser;
    if (parser === null) {
      parser = this.parser = new FrameParser(this, {
        role: this.settings.role,
        maxPayload: this.settings.maxPayload,
        maxFragments: this.settings.maxFragments,
        inflater: this.deflateParams === null ? null : this.getCodec(),
      });
    }
    parser.push(chunk);
    this.trackMessageStart();
  }

  /** Notes when an incomplete message began, so a peer cannot pin a half-sent message forever. */
  private trackMessageStart(): void {
    const parser = this.parser;
    if (parser !== null && parser.midMessage) {
      if (this.messageStartedAt === 0) this.messageStartedAt = Date.now();
    } else {
      this.messageStartedAt = 0;
    }
  }

  afterFlush(): void {
    if (this.endAfterFlush) {
      this.endAfterFlush = false;
      this.socket.end();
    }
    if (this.readPausedAt !== 0) this.maybeResumeReading();
  }

  closeTimedOut(): void {
    this.socket.destroy();
  }

  socketClosed(): void {
    unwatchClosing(this);
    this.state = ReadyState.CLOSED;
    this.parser = null;
    this.codec = null;
    this.pending = null;
    this.pendingBytes = 0;
    // Without the peer's close frame the closure was abnormal (section 7.1.5), unless we failed the
    // connection for a protocol violation: then the code we sent is the useful answer.
    const code = this.closeReceived || this.failed ? this.closeCode : CloseCode.Abnormal;
    this.settings.onClosed?.(this);
    this.emit('close', code, code === CloseCode.Abnormal ? '' : this.closeReason);
  }

  socketError(error: Error): void {
    if (this.listenerCount('error') > 0) this.emit('error', error);
  }

  /** The peer half-closed TCP: nothing more will come, so close our side too. */
  socketEnded(): void {
    if (this.state === ReadyState.OPEN) this.state = ReadyState.CLOSING;
    this.endSocket();
  }

  private getCodec(): PerMessageDeflate {
    let codec = this.codec;
    if (codec === null) {
      const options: { level?: number; threshold?: number } = {};
      const { deflateLevel, deflateThreshold } = this.settings;
      if (deflateLevel !== undefined) options.level = deflateLevel;
      if (deflateThreshold !== undefined) options.threshold = deflateThreshold;
      codec = this.codec = new PerMessageDeflate(this.settings.role, this.deflateParams!, options);
    }
    return codec;
  }

  private writeFrame(frame: Buffer): void {
    enqueueWrite(this, frame);
  }

  private sendClose(payload: Buffer): void {
    this.closeSent = true;
    this.state = ReadyState.CLOSING;
    this.writeFrame(encodeFrame(Opcode.Close, payload, { mask: this.role === 'client' }));
    watchClosing(this, this.settings.closeTimeoutMs);
  }

  /** Half-closes TCP once every queued frame (the close frame last) is handed to the socket. */
  private endSocket(): void {
    if (this.pending === null) {
      this.socket.end();
    } else {
      this.endAfterFlush = true;
      flushWriter(this);
    }
    watchClosing(this, this.settings.closeTimeoutMs);
  }
}

/** Close reasons are limited to 123 bytes (section 5.5: 125 minus the status code). */
function truncateReason(reason: string): string {
  if (Buffer.byteLength(reason) <= 123) return reason;
  let out = reason.slice(0, 123);
  while (Buffer.byteLength(out) > 123) out = out.slice(0, -1);
  return out;
}

function onSocketData(this: OwnedSocket, chunk: Buffer): void {
  this[kConnection]!.receive(chunk);
}
function onSocketClose(this: OwnedSocket): void {
  this[kConnection]!.socketClosed();
}
function onSocketError(this: OwnedSocket, error: Error): void {
  this[kConnection]!.socketError(error);
}
function onSocketEnd(this: OwnedSocket): void {
  this[kConnection]!.socketEnded();
}
function onSocketDrain(this: OwnedSocket): void {
  const conn = this[kConnection]!;
  conn.maybeResumeReading();
  if (conn.listenerCount('drain') > 0) conn.emit('drain');
}
