/**
 * One Server-Sent Events stream as a hub connection: the hub writes the very messages it writes to
 * WebSocket clients, and each becomes one SSE event. Quotes and snapshots carry `id: EPOCH:OFFSET`,
 * so the browser's own EventSource reconnection sends it back as `Last-Event-ID` and recovers exactly
 * what it missed (docs/api.md, "SSE").
 */
import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import type { PreparedFrame } from '../hub/index.js';
import { CloseCode, CloseReason } from '../protocol/constants.js';
import type { PreparedMessage } from '../transport/index.js';

const DATA_PREFIX = Buffer.from('data: ');
const EVENT_END = Buffer.from('\n\n');
const OFFSET_MARK = Buffer.from('"offset":');

export interface SseConnectionOptions {
  /** Path and query of the request. */
  url: string;
  /** The session id commands are posted to. */
  session: string;
  /** The stream epoch now (for event ids). */
  epoch: () => string;
  /** Unsent bytes above which the stream is cut (1008 "slow consumer"), as for WebSocket clients. */
  hardLimit: number;
}

export class SseConnection extends EventEmitter {
  readonly url: string;
  readonly session: string;
  private readonly res: ServerResponse;
  private readonly epoch: () => string;
  private readonly hardLimit: number;
  private closeCode: number = CloseCode.Abnormal;
  private closeReason = '';
  private ended = false;

  constructor(res: ServerResponse, options: SseConnectionOptions) {
    super();
    this.res = res;
    this.url = options.url;
    this.session = options.session;
    this.epoch = options.epoch;
    this.hardLimit = options.hardLimit;
    res.on('drain', () => this.emit('drain'));
    res.on('close', () => this.emit('close', this.closeCode, this.closeReason));
  }

  /** Bytes accepted but not yet handed to the kernel: the slow-consumer signal, as for WebSocket. */
  get bufferedAmount(): number {
    return this.res.writableLength;
  }

  send(json: string): void {
    this.writeEvent(Buffer.from(json, 'utf8'));
  }

  sendPrepared(frame: PreparedFrame): void {
    // The app's frames are PreparedMessages: their payload is the message's JSON, framed once for all.
    this.writeEvent((frame as PreparedMessage).payload);
  }

  /** Tells the client why in a `close` event, then ends the stream (EventSource would reconnect otherwise). */
  close(code: number = CloseCode.Normal, reason = ''): void {
    if (this.ended) return;
    this.ended = true;
    this.closeCode = code;
    this.closeReason = reason;
    this.emit('closing', code, reason);
    this.res.end(`event: close\ndata: ${JSON.stringify({ code, reason })}\n\n`);
  }

  terminate(): void {
    this.ended = true;
    this.res.destroy();
  }

  /** A command posted for this session (POST /sse/commands): handled like a WebSocket message. */
  receive(body: Buffer): void {
    if (!this.ended) this.emit('message', body, true);
  }

  /** One event: `id:` when the message has a stream offset, then `data:` (JSON never holds a newline). */
  private writeEvent(payload: Buffer): void {
    if (this.ended) return;
    const id = this.eventId(payload);
    const head = id === null ? DATA_PREFIX : Buffer.from(`id: ${id}\ndata: `);
    this.res.write(Buffer.concat([head, payload, EVENT_END]));
    if (this.hardLimit > 0 && this.res.writableLength > this.hardLimit) {
      // Nobody will read a close event behind megabytes of unread data: cut the stream.
      this.ended = true;
      this.closeCode = CloseCode.PolicyViolation;
      this.closeReason = CloseReason.SlowConsumer;
      this.emit('closing', this.closeCode, this.closeReason);
      this.res.destroy();
    }
  }

  /** `EPOCH:OFFSET` for quotes and snapshots (their JSON ends with `"offset":N` and maybe `"recovered"`). */
  private eventId(payload: Buffer): string | null {
    const at = payload.lastIndexOf(OFFSET_MARK);
    if (at === -1 || payload.length - at > 48) return null;
    let end = at + OFFSET_MARK.length;
    let offset = 0;
    while (end < payload.length) {
      const c = payload[end]!;
      if (c < 0x30 || c > 0x39) break;
      offset = offset * 10 + (c - 0x30);
      end++;
    }
    return end === at + OFFSET_MARK.length ? null : `${this.epoch()}:${offset}`;
  }
}
