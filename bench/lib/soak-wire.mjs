// Raw RFC 6455 client plumbing for the soak's hostile clients: a handshake done by hand on a
// net.Socket (so a client can stop reading, or send bytes no library would), masked frame
// encoding with every field under the caller's control, a streaming frame scanner that finds
// the server's close frame without buffering megabytes of quotes, a tiny HTTP GET, and a
// reader of the kernel's TCP table (a paused socket cannot see its peer's FIN, /proc can).
import http from 'node:http';
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';

export const OP = { CONT: 0x0, TEXT: 0x1, BINARY: 0x2, CLOSE: 0x8, PING: 0x9, PONG: 0xa };

/**
 * Opens a TCP connection to 127.0.0.1:port, sends an upgrade request for `path` and resolves with
 * `{ socket, leftover }` once the 101 head has arrived: the socket is paused (nothing more is read
 * until the caller resumes it) and `leftover` holds frame bytes that came with the head.
 * Rejects (and destroys the socket) on a refusal, an error or after `timeoutMs`.
 */
export function rawHandshake(port, path, { timeoutMs = 5000 } = {}) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let head = Buffer.alloc(0);
    let done = false;
    const finish = (err, value) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.off('data', onData);
      if (err) { socket.destroy(); reject(err); } else resolve(value);
    };
    const timer = setTimeout(() => finish(new Error('handshake timeout')), timeoutMs);
    const onData = (chunk) => {
      head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) {
        if (head.length > 16384) finish(new Error('handshake head too long'));
        return;
      }
      socket.pause();
      const status = head.subarray(0, head.indexOf('\r\n')).toString('latin1');
      if (!status.startsWith('HTTP/1.1 101')) finish(new Error(`handshake refused: ${status.slice(0, 60)}`));
      else finish(null, { socket, leftover: head.subarray(end + 4) });
    };
    socket.on('connect', () => {
      socket.setNoDelay(true);
      socket.write(
        `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
    });
    socket.on('data', onData);
    socket.on('error', (err) => finish(err));
    socket.on('close', () => finish(new Error('closed during handshake')));
  });
}

/**
 * One client frame. `mask` false sends it unmasked (a violation at a server); `rsv` sets the RSV
 * bits (0..7); `announce` overrides the length written in the header (the payload actually
 * appended is `payload` whatever `announce` says).
 */
export function encodeFrame(opcode, payload = Buffer.alloc(0), { fin = true, rsv = 0, mask = true, announce } = {}) {
  const len = announce ?? payload.length;
  const extra = len < 126 ? 0 : len < 65536 ? 2 : 8;
  const header = Buffer.alloc(2 + extra + (mask ? 4 : 0));
  header[0] = (fin ? 0x80 : 0) | ((rsv & 7) << 4) | (opcode & 0x0f);
  if (len < 126) header[1] = len;
  else if (len < 65536) { header[1] = 126; header.writeUInt16BE(len, 2); }
  else { header[1] = 127; header.writeBigUInt64BE(BigInt(len), 2); }
  if (mask) header[1] |= 0x80;
  if (!mask) return Buffer.concat([header, payload]);
  const key = randomBytes(4);
  key.copy(header, 2 + extra);
  const body = Buffer.allocUnsafe(payload.length);
  for (let i = 0; i < payload.length; i++) body[i] = payload[i] ^ key[i & 3];
  return Buffer.concat([header, body]);
}

/**
 * Streaming parser of server frames: skips payloads it is not asked to keep, so scanning the many
 * megabytes a stalled client has left in its kernel buffer costs no memory. Calls
 * onFrame(opcode, payload) for close frames (payload kept, at most 125 bytes) and, when
 * `keepText` is set, for text frames up to 1 MiB (anything longer is skipped).
 */
export class FrameScanner {
  constructor(onFrame, { keepText = false } = {}) {
    this.onFrame = onFrame;
    this.keepText = keepText;
    this.buf = null; // unparsed header bytes (or a kept payload being assembled)
    this.skip = 0; // payload bytes still to skip
    this.keep = null; // { opcode, parts, need }
    this.bytes = 0;
    this.frames = 0;
  }

  push(chunk) {
    this.bytes += chunk.length;
    let data = chunk;
    while (data.length > 0) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, data.length);
        this.skip -= n;
        data = data.subarray(n);
        continue;
      }
      if (this.keep) {
        const n = Math.min(this.keep.need, data.length);
        this.keep.parts.push(data.subarray(0, n));
        this.keep.need -= n;
        data = data.subarray(n);
        if (this.keep.need === 0) {
          const { opcode, parts } = this.keep;
          this.keep = null;
          this.frames++;
          this.onFrame(opcode, Buffer.concat(parts));
        }
        continue;
      }
      const b = this.buf ? Buffer.concat([this.buf, data]) : data;
      this.buf = null;
      if (b.length < 2) { this.buf = Buffer.from(b); return; }
      const opcode = b[0] & 0x0f;
      let len = b[1] & 0x7f;
      let off = 2;
      if (len === 126) { if (b.length < 4) { this.buf = Buffer.from(b); return; } len = b.readUInt16BE(2); off = 4; }
      else if (len === 127) { if (b.length < 10) { this.buf = Buffer.from(b); return; } len = Number(b.readBigUInt64BE(2)); off = 10; }
      if (b[1] & 0x80) off += 4; // a server never masks; tolerate it anyway
      if (b.length < off) { this.buf = Buffer.from(b); return; }
      data = b.subarray(off);
      const wanted = opcode === OP.CLOSE || (this.keepText && opcode === OP.TEXT && len <= 1 << 20);
      if (!wanted) {
        this.frames++;
        this.skip = len;
      } else if (len === 0) {
        this.frames++;
        this.onFrame(opcode, Buffer.alloc(0));
      } else {
        this.keep = { opcode, parts: [], need: len };
      }
    }
  }
}

/** "1008" (or "1008 slow consumer" with the reason) from a close frame's payload. */
export function describeClose(payload, withReason = true) {
  if (payload.length < 2) return 'close 1005';
  const code = payload.readUInt16BE(0);
  const reason = payload.subarray(2).toString('utf8');
  return withReason && reason ? `close ${code} ${reason}` : `close ${code}`;
}

/**
 * Resumes a paused raw socket and reads until the server's close frame or the end of the TCP
 * connection (or `timeoutMs`); resolves with an outcome string: `close <code> <reason>`, `eof
 * without close frame`, `reset without close frame` or `no close within N ms`. Destroys the socket.
 */
export function drainForClose(socket, leftover, { timeoutMs = 10000, onText } = {}) {
  if (socket.destroyed) return Promise.resolve({ outcome: 'socket already closed (no close frame read)', bytes: 0 });
  return new Promise((resolve) => {
    let outcome = null;
    let done = false;
    const scanner = new FrameScanner((opcode, payload) => {
      if (opcode === OP.CLOSE) { if (outcome === null) outcome = describeClose(payload); finish(); }
      else if (onText) onText(payload);
    }, { keepText: Boolean(onText) });
    const finish = (fallback) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.removeAllListeners('data');
      socket.destroy();
      resolve({ outcome: outcome ?? fallback ?? 'eof without close frame', bytes: scanner.bytes });
    };
    const timer = setTimeout(() => finish(`no close within ${timeoutMs} ms`), timeoutMs);
    socket.on('data', (chunk) => { if (!done) scanner.push(chunk); });
    socket.on('error', (err) => finish(err.code === 'ECONNRESET' ? 'reset without close frame' : `error ${err.code ?? err.message}`));
    socket.on('end', () => finish());
    socket.on('close', () => finish());
    if (leftover && leftover.length > 0) scanner.push(leftover);
    if (!done) socket.resume();
  });
}

/** GET http://127.0.0.1:port/path without keep-alive; resolves { status, body, ms } or { error, ms }. */
export function httpGet(port, path, timeoutMs) {
  const t0 = performance.now();
  return new Promise((resolve) => {
    let settled = false;
    const done = (v) => { if (!settled) { settled = true; resolve({ ...v, ms: performance.now() - t0 }); } };
    const req = http.get({ host: '127.0.0.1', port, path, agent: false, headers: { connection: 'close' } }, (res) => {
      const parts = [];
      res.on('data', (c) => parts.push(c));
      res.on('end', () => done({ status: res.statusCode, body: Buffer.concat(parts).toString('utf8') }));
      res.on('error', (err) => done({ error: err.message }));
    });
    req.setTimeout(timeoutMs, () => { req.destroy(new Error(`timeout after ${timeoutMs} ms`)); });
    req.on('error', (err) => done({ error: err.message }));
  });
}

/**
 * The kernel's view of the TCP connections to the server on `serverPort`, both ends of each (all
 * traffic is on 127.0.0.1, so both are in /proc/net/tcp): `{ client, server }`, two Maps from the
 * client's port to the state of the client's end and of the server's end. States
 * (include/net/tcp_states.h): 1 ESTABLISHED, 4 FIN_WAIT1, 6 TIME_WAIT, 8 CLOSE_WAIT, ...
 * A server that closes a connection whose client does not read leaves its FIN queued behind the
 * unread data, so the client's end stays ESTABLISHED; the server's end shows the close at once.
 * Returns null when /proc/net/tcp cannot be read.
 */
export function tcpTable(serverPort) {
  let text;
  try { text = readFileSync('/proc/net/tcp', 'latin1'); } catch { return null; }
  const want = serverPort.toString(16).toUpperCase().padStart(4, '0');
  const client = new Map();
  const server = new Map();
  // Fixed-width lines: "  12: 0100007F:A1B2 0100007F:1F90 01 ...": local, remote, state.
  let pos = text.indexOf('\n') + 1;
  while (pos > 0 && pos < text.length) {
    let end = text.indexOf('\n', pos);
    if (end < 0) end = text.length;
    const colon = text.indexOf(': ', pos);
    if (colon > 0 && colon < end) {
      if (text.startsWith(want, colon + 25)) {
        client.set(parseInt(text.slice(colon + 11, colon + 15), 16), parseInt(text.slice(colon + 30, colon + 32), 16));
      } else if (text.startsWith(want, colon + 11)) {
        const port = parseInt(text.slice(colon + 25, colon + 29), 16);
        const st = parseInt(text.slice(colon + 30, colon + 32), 16);
        // A TIME_WAIT left by an earlier connection from the same port must not hide a live one.
        if (server.get(port) !== TCP_ESTABLISHED) server.set(port, st);
      }
    }
    pos = end + 1;
  }
  return { client, server };
}
export const TCP_ESTABLISHED = 1;

const TCP_STATE_NAMES = ['?', 'ESTABLISHED', 'SYN_SENT', 'SYN_RECV', 'FIN_WAIT1', 'FIN_WAIT2', 'TIME_WAIT', 'CLOSE',
  'CLOSE_WAIT', 'LAST_ACK', 'LISTEN', 'CLOSING'];

/**
 * What a process's fds are: { total, byKind: { 'tcp ESTABLISHED': n, 'tcp CLOSE_WAIT': n, pipe: n,
 * ... } } (sockets matched to /proc/net/tcp and tcp6 by inode). Null if the process is gone.
 */
export function fdBreakdown(pid) {
  let names;
  try { names = readdirSync(`/proc/${pid}/fd`); } catch { return null; }
  const tcp = new Map();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try { text = readFileSync(file, 'latin1'); } catch { continue; }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length > 9) tcp.set(f[9], TCP_STATE_NAMES[parseInt(f[3], 16)] ?? f[3]);
    }
  }
  const byKind = {};
  for (const n of names) {
    let target;
    try { target = readlinkSync(`/proc/${pid}/fd/${n}`); } catch { continue; }
    const m = /^socket:\[(\d+)\]$/.exec(target);
    let kind;
    if (m) kind = tcp.has(m[1]) ? `tcp ${tcp.get(m[1])}` : 'other socket';
    else if (target.startsWith('pipe:')) kind = 'pipe';
    else if (target.startsWith('anon_inode:')) kind = target.slice(11).replace(/^\[|\]$/g, '');
    else kind = 'file';
    byKind[kind] = (byKind[kind] ?? 0) + 1;
  }
  return { total: names.length, byKind };
}
