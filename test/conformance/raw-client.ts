/**
 * A deliberately dumb WebSocket client over node:net for the conformance suite: it performs the
 * opening handshake itself, writes exactly the bytes a case gives it (legal or not, whole or
 * chopped into separate writes), and records everything the server does: decoded messages, pongs,
 * the close frame, anything sent after it, framing violations, and when TCP was closed.
 */
import { connect, type Socket } from 'node:net';
import { createHash, randomBytes } from 'node:crypto';
import { WEBSOCKET_GUID } from '../../src/protocol/constants.js';
import { DeflatePeer, parseDeflateResponse, type NegotiatedDeflate } from './deflate-peer.js';
import { buildFrame, closePayload, OP, ServerFrameDecoder, type FrameSpec, type ServerFrame } from './wire.js';

export type WireEvent =
  | { kind: 'message'; binary: boolean; data: Buffer; frames: number; compressed: boolean }
  | { kind: 'pong'; payload: Buffer }
  | { kind: 'ping'; payload: Buffer }
  | { kind: 'close'; code: number | null; reason: Buffer; at: number };

export interface ConnectOptions {
  port: number;
  host?: string;
  /** Sec-WebSocket-Extensions offer, e.g. 'permessage-deflate; client_max_window_bits'. */
  extensions?: string;
  /** Bound on TCP connect + handshake. */
  timeoutMs?: number;
}

const HANDSHAKE_TIMEOUT_MS = 3000;

/** A pending waitFor(): `check` is re-evaluated on every change (event, FIN, close, error). */
interface Waiter {
  check: () => boolean;
  resolve: () => void;
}

/** How a test hands its frames to the socket (see RawClient.deliver). */
export type Delivery = 'one-write' | 'frame-by-frame' | 'chopped';

export class RawClient {
  readonly events: WireEvent[] = [];
  /** Protocol violations by the server (framing, fragmentation, frames after close, bad UTF-8...). */
  readonly violations: string[] = [];
  deflate: NegotiatedDeflate | null = null;
  responseHead = '';
  /** performance.now() of the server's FIN, of the socket's full close, and of our own close frame. */
  finAt: number | null = null;
  closedAt: number | null = null;
  closeSentAt: number | null = null;
  socketError: Error | null = null;

  private readonly socket: Socket;
  private readonly decoder = new ServerFrameDecoder();
  private peer: DeflatePeer | null = null;
  private fragments: ServerFrame[] = [];
  private queue: Promise<void> = Promise.resolve();
  private waiters: Waiter[] = [];
  private closeFrameSent = false;

  private constructor(socket: Socket) {
    this.socket = socket;
  }

  /** Connects and completes the opening handshake; rejects on any handshake error. */
  static async open(options: ConnectOptions): Promise<RawClient> {
    const socket = connect({ port: options.port, host: options.host ?? '127.0.0.1' });
    socket.setNoDelay(true);
    const client = new RawClient(socket);
    await client.handshake(options);
    return client;
  }

  get closeEvent(): Extract<WireEvent, { kind: 'close' }> | undefined {
    return this.events.find((e): e is Extract<WireEvent, { kind: 'close' }> => e.kind === 'close');
  }

  /** Events before the close frame. */
  get dataEvents(): WireEvent[] {
    const at = this.events.findIndex((e) => e.kind === 'close');
    return at < 0 ? this.events.slice() : this.events.slice(0, at);
  }

  get socketOpen(): boolean {
    return this.closedAt === null;
  }

  private handshake(options: ConnectOptions): Promise<void> {
    const key = randomBytes(16).toString('base64');
    // The request Autobahn's fuzzingclient writes (capitalised "WebSocket", no-cache headers).
    const lines = [
      'GET / HTTP/1.1',
      'User-Agent: AutobahnTestSuite/0.8.2-tickstream-conformance',
      `Host: 127.0.0.1:${options.port}`,
      'Upgrade: WebSocket',
      'Connection: Upgrade',
      'Pragma: no-cache',
      'Cache-Control: no-cache',
      `Sec-WebSocket-Key: ${key}`,
      'Sec-WebSocket-Version: 13',
    ];
    if (options.extensions !== undefined) lines.push(`Sec-WebSocket-Extensions: ${options.extensions}`);
    const expectedAccept = createHash('sha1').update(key + WEBSOCKET_GUID).digest('base64');
    return new Promise<void>((resolve, reject) => {
      let head = Buffer.alloc(0);
      const timer = setTimeout(() => fail(new Error('handshake timed out')), options.timeoutMs ?? HANDSHAKE_TIMEOUT_MS);
      const fail = (err: Error): void => {
        clearTimeout(timer);
        this.socket.removeListener('data', onData);
        this.socket.destroy();
        reject(err);
      };
      const onData = (chunk: Buffer): void => {
        head = Buffer.concat([head, chunk]);
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        clearTimeout(timer);
        this.socket.removeListener('data', onData);
        this.socket.removeListener('error', fail);
        this.responseHead = head.subarray(0, end).toString('latin1');
        try {
          this.checkResponse(expectedAccept, options.extensions !== undefined);
        } catch (err) {
          fail(err as Error);
          return;
        }
        this.attach();
        resolve();
        const rest = head.subarray(end + 4);
        if (rest.length > 0) this.onBytes(rest);
      };
      this.socket.on('data', onData);
      this.socket.once('error', fail);
      this.socket.write(lines.join('\r\n') + '\r\n\r\n');
    });
  }

  private checkResponse(expectedAccept: string, offeredDeflate: boolean): void {
    const [status, ...headerLines] = this.responseHead.split('\r\n');
    if (!/^HTTP\/1\.1 101 /.test(status)) throw new Error(`handshake refused: ${status}`);
    const headers = new Map<string, string>();
    for (const line of headerLines) {
      const colon = line.indexOf(':');
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      headers.set(name, headers.has(name) ? `${headers.get(name)}, ${value}` : value);
    }
    if (headers.get('upgrade')?.toLowerCase() !== 'websocket') throw new Error('missing Upgrade: websocket');
    if (!/(^|,)\s*upgrade\s*(,|$)/i.test(headers.get('connection') ?? '')) throw new Error('missing Connection: Upgrade');
    if (headers.get('sec-websocket-accept') !== expectedAccept) throw new Error('wrong Sec-WebSocket-Accept');
    const extensions = headers.get('sec-websocket-extensions');
    if (!offeredDeflate && extensions !== undefined) throw new Error(`unsolicited extensions: ${extensions}`);
    this.deflate = parseDeflateResponse(extensions);
    if (this.deflate !== null) this.peer = new DeflatePeer(this.deflate);
  }

  private attach(): void {
    this.socket.on('data', (chunk: Buffer) => this.onBytes(chunk));
    this.socket.on('end', () => {
      this.finAt = performance.now();
      this.changed();
    });
    this.socket.on('close', () => {
      this.closedAt = performance.now();
      this.peer?.dispose();
      this.changed();
    });
    this.socket.on('error', (err) => {
      this.socketError ??= err;
      this.changed();
    });
  }

  private onBytes(chunk: Buffer): void {
    const frames = this.decoder.push(chunk);
    for (const v of this.decoder.violations.splice(0)) this.violations.push(v);
    for (const frame of frames) {
      // Decompression is asynchronous when a zlib context is kept: a queue keeps events in wire order.
      this.queue = this.queue.then(() => this.onFrame(frame)).catch((err: Error) => {
        this.violations.push(`client could not process a server frame: ${err.message}`);
        this.changed();
      });
    }
    this.changed();
  }

  private async onFrame(frame: ServerFrame): Promise<void> {
    if (this.closeEvent !== undefined) {
      this.violations.push(`frame (opcode ${frame.opcode}) after the close frame`);
      return;
    }
    const rsv1 = (frame.rsv & 4) !== 0;
    if ((frame.rsv & 3) !== 0 || (rsv1 && (this.peer === null || frame.opcode === OP.CONT || frame.opcode >= 8))) {
      this.violations.push(`illegal RSV bits ${frame.rsv} on opcode ${frame.opcode}`);
    }
    switch (frame.opcode) {
      case OP.PING:
        this.push({ kind: 'ping', payload: Buffer.from(frame.payload) });
        return;
      case OP.PONG:
        this.push({ kind: 'pong', payload: Buffer.from(frame.payload) });
        return;
      case OP.CLOSE:
        this.onCloseFrame(frame.payload);
        return;
      case OP.TEXT:
      case OP.BINARY:
        if (this.fragments.length > 0) this.violations.push('new data frame inside a fragmented message');
        this.fragments = [frame];
        break;
      case OP.CONT:
        if (this.fragments.length === 0) {
          this.violations.push('continuation frame without a message');
          return;
        }
        this.fragments.push(frame);
        break;
      default:
        this.violations.push(`reserved opcode ${frame.opcode} from server`);
        return;
    }
    if (!frame.fin) return;
    const parts = this.fragments;
    this.fragments = [];
    const compressed = (parts[0].rsv & 4) !== 0;
    let data: Buffer = Buffer.concat(parts.map((p) => p.payload));
    if (compressed) data = await this.peer!.inflate(data);
    const binary = parts[0].opcode === OP.BINARY;
    if (!binary && !isWellFormedUtf8(data)) this.violations.push('server sent a text message that is not valid UTF-8');
    this.push({ kind: 'message', binary, data, frames: parts.length, compressed });
  }

  private onCloseFrame(payload: Buffer): void {
    let code: number | null = null;
    if (payload.length === 1) this.violations.push('server close frame with a 1-byte payload');
    if (payload.length >= 2) code = payload.readUInt16BE(0);
    const reason = Buffer.from(payload.subarray(2));
    if (!isWellFormedUtf8(reason)) this.violations.push('server close reason is not valid UTF-8');
    this.push({ kind: 'close', code, reason, at: performance.now() });
    // Like Autobahn: answer the server's close with the same code, then wait for it to drop TCP.
    if (!this.closeFrameSent) this.sendClose(code ?? undefined);
  }

  private push(event: WireEvent): void {
    this.events.push(event);
    this.changed();
  }

  private changed(): void {
    if (this.waiters.length === 0) return;
    this.waiters = this.waiters.filter((w) => {
      if (!w.check()) return true;
      w.resolve();
      return false;
    });
  }

  // ---- sending ----

  /** Writes raw bytes, in one write or in `chopSize`-byte writes each awaited (separate TCP segments). */
  async write(bytes: Buffer, chopSize?: number): Promise<void> {
    if (this.socket.destroyed || this.socket.writableEnded) return;
    if (chopSize === undefined || chopSize >= bytes.length) {
      await this.writeOnce(bytes);
      return;
    }
    for (let at = 0; at < bytes.length; at += chopSize) {
      if (this.socket.destroyed) return;
      await this.writeOnce(bytes.subarray(at, at + chopSize));
    }
  }

  private writeOnce(bytes: Buffer): Promise<void> {
    return new Promise<void>((resolve) => {
      // Write errors (the server may have dropped us, which some cases expect) surface as socketError.
      this.socket.write(bytes, () => resolve());
    });
  }

  async sendFrame(spec: FrameSpec, chopSize?: number): Promise<void> {
    if (spec.opcode === OP.CLOSE) this.noteCloseSent();
    await this.write(buildFrame(spec), chopSize);
  }

  /** Builds `specs` and sends them in one write (or `chopSize`-byte writes): several frames per segment. */
  async sendFrames(specs: FrameSpec[], chopSize?: number): Promise<void> {
    if (specs.some((s) => s.opcode === OP.CLOSE)) this.noteCloseSent();
    await this.write(Buffer.concat(specs.map((s) => buildFrame(s))), chopSize);
  }

  /** Sends frames the three ways Autobahn does: batched in one write, one write per frame ("sync"), or in 1-byte chops. */
  async deliver(specs: FrameSpec[], how: Delivery): Promise<void> {
    if (how === 'one-write') {
      await this.sendFrames(specs);
      return;
    }
    for (const spec of specs) await this.sendFrame(spec, how === 'chopped' ? 1 : undefined);
  }

  /** Sends a close frame with this code (none: empty payload) and reason. */
  sendClose(code?: number, reason: Buffer | string = ''): Promise<void> {
    return this.sendFrame({ opcode: OP.CLOSE, payload: closePayload(code, reason) });
  }

  private noteCloseSent(): void {
    if (this.closeFrameSent) return;
    this.closeFrameSent = true;
    this.closeSentAt = performance.now();
  }

  /** Sends one message compressed with the negotiated permessage-deflate (fragmented if asked). */
  async sendCompressed(data: Buffer, binary: boolean, fragmentSize = 0): Promise<void> {
    if (this.peer === null) throw new Error('permessage-deflate was not negotiated');
    const compressed = await this.peer.deflate(data);
    const opcode = binary ? OP.BINARY : OP.TEXT;
    if (fragmentSize <= 0 || compressed.length <= fragmentSize) {
      await this.write(buildFrame({ opcode, payload: compressed, rsv: 4 }));
      return;
    }
    const frames: Buffer[] = [];
    for (let at = 0; at < compressed.length; at += fragmentSize) {
      frames.push(
        buildFrame({
          opcode: at === 0 ? opcode : OP.CONT,
          payload: compressed.subarray(at, at + fragmentSize),
          fin: at + fragmentSize >= compressed.length,
          rsv: at === 0 ? 4 : 0,
        }),
      );
    }
    await this.write(Buffer.concat(frames));
  }

  // ---- waiting ----

  /** Resolves once `condition` holds; rejects after `timeoutMs` with `what` and a summary. */
  waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
    if (condition()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; got ${this.describe()}`));
      }, timeoutMs);
      const waiter: Waiter = {
        check: condition,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      this.waiters.push(waiter);
    });
  }

  /**
   * Waits until `count` non-close events arrived, or the server closed, or broke the protocol (a
   * message that failed to decode will never arrive): the caller then compares.
   */
  waitForEvents(count: number, timeoutMs: number): Promise<void> {
    return this.waitFor(
      () => this.dataEvents.length >= count || this.closeEvent !== undefined || !this.socketOpen || this.violations.length > 0,
      timeoutMs,
      `${count} event(s)`,
    );
  }

  waitForCloseFrame(timeoutMs: number): Promise<void> {
    return this.waitFor(() => this.closeEvent !== undefined || !this.socketOpen, timeoutMs, 'a close frame');
  }

  /** Waits for the server's FIN (or a reset): the end of the connection. */
  waitForTcpClose(timeoutMs: number): Promise<void> {
    return this.waitFor(() => this.finAt !== null || this.closedAt !== null, timeoutMs, 'the server to close TCP');
  }

  /** Lets queued frame processing (inflate) finish before the caller inspects events. */
  settle(): Promise<void> {
    return this.queue;
  }

  destroy(): void {
    this.socket.destroy();
  }

  describe(): string {
    const parts = this.events.map((e) => {
      switch (e.kind) {
        case 'message':
          return `${e.binary ? 'binary' : 'text'}(${e.data.length}B${e.data.length <= 32 ? ' ' + e.data.toString('hex') : ''})`;
        case 'close':
          return `close(${e.code ?? 'none'}${e.reason.length ? ' "' + e.reason.toString() + '"' : ''})`;
        default:
          return `${e.kind}(${e.payload.toString('hex')})`;
      }
    });
    const tcp = this.finAt !== null ? 'FIN' : this.closedAt !== null ? 'closed' : 'open';
    const extra = this.violations.length ? ` violations=[${this.violations.join('; ')}]` : '';
    const err = this.socketError ? ` error=${(this.socketError as NodeJS.ErrnoException).code ?? this.socketError.message}` : '';
    return `[${parts.join(', ')}] tcp=${tcp}${extra}${err}`;
  }
}

/** UTF-8 well-formedness per RFC 3629 (no overlongs, surrogates or code points above U+10FFFF). */
export function isWellFormedUtf8(bytes: Buffer): boolean {
  let i = 0;
  const n = bytes.length;
  while (i < n) {
    const b = bytes[i];
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let min: number;
    let cp: number;
    if (b >= 0xc2 && b <= 0xdf) [need, min, cp] = [1, 0x80, b & 0x1f];
    else if (b >= 0xe0 && b <= 0xef) [need, min, cp] = [2, 0x800, b & 0x0f];
    else if (b >= 0xf0 && b <= 0xf4) [need, min, cp] = [3, 0x10000, b & 0x07];
    else return false;
    if (i + need >= n) return false; // truncated sequence
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if ((c & 0xc0) !== 0x80) return false;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += need + 1;
  }
  return true;
}
