// A hand-driven WebSocket client for attack tests: it does the handshake itself, then writes raw
// (masked) frames and reads only when told to, so it can play a peer that never reads, trickles
// bytes, or sends garbage. Also: server-process RSS sampling from /proc for memory-bound tests.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { FrameParser, type FrameSink } from '../../src/protocol/frame-parser.js';

export interface RawClient {
  readonly socket: Socket;
  /** Resolves when the socket is closed (by either side); `error` is the socket error, if any. */
  readonly ended: Promise<{ error?: string }>;
}

/**
 * Connects and upgrades; resolves after the 101 with the socket PAUSED (nothing more is read until
 * the caller reads). Rejects with the status line when the server answers anything but 101.
 */
export function rawUpgrade(port: number, path = '/', extraHeaders: Record<string, string> = {}, timeoutMs = 5_000): Promise<RawClient> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const ended = new Promise<{ error?: string }>((done) => {
      let error: string | undefined;
      socket.on('error', (e: NodeJS.ErrnoException) => (error = e.code ?? e.message));
      socket.on('close', () => done(error === undefined ? {} : { error }));
    });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('handshake timed out'));
    }, timeoutMs);
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end === -1) return;
      clearTimeout(timer);
      socket.off('data', onData);
      socket.pause();
      const statusLine = head.subarray(0, head.indexOf('\r\n')).toString('latin1');
      if (!statusLine.startsWith('HTTP/1.1 101')) {
        // Read the body too (the server ends the connection after it): it says why.
        let text = head.toString('latin1');
        socket.on('data', (more: Buffer) => (text += more.toString('latin1')));
        socket.once('close', () => reject(new Error(`upgrade refused: ${statusLine}\n${text}`)));
        socket.resume();
        return;
      }
      const rest = head.subarray(end + 4);
      if (rest.length > 0) socket.unshift(rest);
      resolve({ socket, ended });
    };
    socket.on('data', onData);
    socket.once('connect', () => {
      const headers = {
        Host: `127.0.0.1:${port}`,
        Upgrade: 'websocket',
        Connection: 'Upgrade',
        'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
        'Sec-WebSocket-Version': '13',
        ...extraHeaders,
      };
      const lines = Object.entries(headers).map(([k, v]) => `${k}: ${v}`);
      socket.write(`GET ${path} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`);
    });
    socket.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

/** A client frame, masked as RFC 6455 requires. `announce` overrides the length field (for unfinished frames). */
export function clientFrame(opcode: number, payload: Buffer | string, options: { fin?: boolean; announce?: number } = {}): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const length = options.announce ?? body.length;
  const lengthBytes = length < 126 ? 0 : length < 65536 ? 2 : 8;
  const header = Buffer.alloc(2 + lengthBytes + 4);
  header[0] = (options.fin === false ? 0 : 0x80) | opcode;
  if (lengthBytes === 0) header[1] = 0x80 | length;
  else if (lengthBytes === 2) {
    header[1] = 0x80 | 126;
    header.writeUInt16BE(length, 2);
  } else {
    header[1] = 0x80 | 127;
    header.writeBigUInt64BE(BigInt(length), 2);
  }
  const key = randomBytes(4);
  key.copy(header, 2 + lengthBytes);
  const masked = Buffer.from(body);
  for (let i = 0; i < masked.length; i++) masked[i]! ^= key[i & 3]!;
  return Buffer.concat([header, masked]);
}

/** Many copies of one frame, concatenated (each with the same mask: fine for a server). */
export function repeatFrame(frame: Buffer, count: number): Buffer {
  return Buffer.concat(new Array<Buffer>(count).fill(frame));
}

export interface ServerClose {
  code: number;
  reason: string;
  /** Data messages read before the close frame. */
  messages: number;
}

/**
 * Starts reading and parses the server's frames until its close frame. Resolves with the close, or
 * with `null` if the connection ended without one (e.g. destroyed after the close timeout).
 */
export function readUntilClose(client: RawClient, timeoutMs = 10_000): Promise<ServerClose | null> {
  return new Promise((resolve, reject) => {
    let messages = 0;
    let settled = false;
    const finish = (value: ServerClose | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      client.socket.off('data', onData);
      resolve(value);
    };
    const sink: FrameSink = {
      onMessage: () => void messages++,
      onPing: () => {},
      onPong: () => {},
      onClose: (code, reason) => finish({ code, reason, messages }),
      onProtocolError: (error) => {
        settled = true;
        clearTimeout(timer);
        reject(error);
      },
    };
    const parser = new FrameParser(sink, { role: 'client', maxPayload: 64 * 1024 * 1024 });
    const onData = (chunk: Buffer): void => parser.push(chunk);
    const timer = setTimeout(() => {
      settled = true;
      client.socket.destroy();
      reject(new Error(`no close frame within ${timeoutMs} ms (${messages} messages read)`));
    }, timeoutMs);
    client.socket.on('data', onData);
    client.socket.resume();
    void client.ended.then(() => finish(null));
  });
}

/** Resident set size of a process, in bytes (Linux /proc). */
export function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /VmRSS:\s+(\d+) kB/.exec(status);
  if (!match) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(match[1]) * 1024;
}

/** Samples a process's RSS every `everyMs` and keeps the peak. */
export class RssSampler {
  private readonly pid: number;
  private readonly timer: NodeJS.Timeout;
  readonly baseline: number;
  peak: number;

  constructor(pid: number, everyMs = 20) {
    this.pid = pid;
    this.baseline = this.peak = rssOf(pid);
    this.timer = setInterval(() => this.sample(), everyMs);
  }

  sample(): number {
    let rss = 0;
    try {
      rss = rssOf(this.pid);
    } catch {
      return this.peak; // the process exited: keep what we saw
    }
    if (rss > this.peak) this.peak = rss;
    return rss;
  }

  /** Stops sampling; returns the peak growth over the baseline, in bytes. */
  stop(): number {
    clearInterval(this.timer);
    this.sample();
    return this.peak - this.baseline;
  }
}

export const MiB = 1024 * 1024;
