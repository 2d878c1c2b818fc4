// The soak's loads: churn, slow readers, command floods, ping floods from non-readers, hostile
// frames. Each runs a fixed number of loops against 127.0.0.1:port until stop() (or the shared
// deadline), keeps its counters, and on stop() destroys every socket it holds and clears every
// timer it armed, so nothing outlives the run.
import WebSocket from 'ws';
import {
  OP, drainForClose, encodeFrame, rawHandshake, tcpTable, TCP_ESTABLISHED,
} from './soak-wire.mjs';

const bump = (obj, key, n = 1) => { obj[key] = (obj[key] ?? 0) + n; };
const errKey = (err) => String(err?.code ?? err?.message ?? err).replace(/\s+/g, ' ').slice(0, 80);

/**
 * What all loads share: the port, a stop flag, abortable sleeps, a registry of live sockets to
 * destroy at stop, and the watcher that tells a paused socket its peer has closed.
 */
export class LoadContext {
  constructor({ port, symbols }) {
    this.port = port;
    this.symbols = symbols;
    this.stopped = false;
    this.timers = new Set();
    this.live = new Set();
    this.watcher = new TcpWatcher(port);
  }

  /** Resolves after ms, or at once when the run stops. */
  sleep(ms) {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const entry = { resolve, timer: null };
      entry.timer = setTimeout(() => { this.timers.delete(entry); resolve(); }, ms);
      this.timers.add(entry);
    });
  }

  /**
   * Keeps a socket or ws client to destroy at stop; returns a function that forgets it. One that
   * arrives after the stop (its handshake was in flight) is destroyed at once.
   */
  track(thing) {
    if (this.stopped) {
      destroy(thing);
      return () => {};
    }
    this.live.add(thing);
    return () => this.live.delete(thing);
  }

  stop() {
    this.stopped = true;
    for (const e of this.timers) { clearTimeout(e.timer); e.resolve(); }
    this.timers.clear();
    this.watcher.stopAll();
    for (const t of this.live) destroy(t);
    this.live.clear();
  }
}

function destroy(thing) {
  try { if (typeof thing.terminate === 'function') thing.terminate(); else thing.destroy(); } catch { /* gone */ }
}

/**
 * A paused socket reads nothing, so it cannot see the server's FIN or RST (and a FIN queued behind
 * unread data would not reach it anyway); the kernel's TCP table shows the server's end of the
 * connection. One timer (1 s, only while something is watched) reads /proc/net/tcp and settles
 * the watch of every connection whose server end (or client end) is no longer ESTABLISHED. Where
 * /proc/net/tcp is unreadable, each watch ends after its `maxLifeMs` and the caller looks at the
 * socket itself.
 */
export class TcpWatcher {
  constructor(serverPort, pollMs = 1000) {
    this.serverPort = serverPort;
    this.pollMs = pollMs;
    this.entries = new Set();
    this.timer = null;
    this.stopped = false;
    this.available = tcpTable(serverPort) !== null;
  }

  /** Resolves 'peer-closed', 'socket-closed', 'max-life' or 'stopped'. */
  watch(socket, maxLifeMs) {
    if (this.stopped) return Promise.resolve('stopped');
    return new Promise((resolve) => {
      const entry = { socket, port: socket.localPort, resolve: null, life: null };
      const settle = (why) => {
        if (!this.entries.has(entry)) return;
        this.entries.delete(entry);
        clearTimeout(entry.life);
        socket.off('close', onClose);
        if (this.entries.size === 0 && this.timer) { clearInterval(this.timer); this.timer = null; }
        resolve(why);
      };
      const onClose = () => settle('socket-closed');
      entry.resolve = settle;
      this.entries.add(entry);
      socket.on('close', onClose);
      if (!this.available && maxLifeMs > 0) entry.life = setTimeout(() => settle('max-life'), maxLifeMs);
      if (this.available && !this.timer) this.timer = setInterval(() => this.poll(), this.pollMs);
    });
  }

  poll() {
    const t = tcpTable(this.serverPort);
    if (t === null) return;
    for (const e of [...this.entries]) {
      if (t.server.get(e.port) !== TCP_ESTABLISHED || t.client.get(e.port) !== TCP_ESTABLISHED) e.resolve('peer-closed');
    }
  }

  stopAll() {
    this.stopped = true;
    for (const e of [...this.entries]) e.resolve('stopped');
    if (this.timer) { clearInterval(this.timer); this.timer = null; }
  }
}

function pick(symbols, n, seed) {
  const out = [];
  for (let i = 0; i < n; i++) out.push(symbols[(seed * 7 + i * 13) % symbols.length]);
  return [...new Set(out)];
}

/** Opens a `ws` client; resolves when open, rejects on error / unexpected response / timeout. */
/** (`onMessage` is attached before the open: frames that arrive with the 101 are delivered before an await resumes.) */
function openWs(ctx, path, onMessage, timeoutMs = 5000) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${ctx.port}${path}`, { perMessageDeflate: false, handshakeTimeout: timeoutMs });
    const untrack = ctx.track(ws);
    ws.on('message', onMessage);
    let opening = true;
    const onError = (err) => {
      if (!opening) return; // after the open, 'close' follows every error and tells the caller
      opening = false;
      untrack();
      ws.terminate();
      reject(err);
    };
    ws.on('error', onError);
    ws.once('open', () => { opening = false; resolve({ ws, untrack }); });
    ws.once('unexpected-response', (_req, res) => { onError(new Error(`HTTP ${res.statusCode}`)); });
  });
}

/** Resolves when the ws client reports 'close' (terminating it after timeoutMs). */
function wsClosed(ws, timeoutMs) {
  return new Promise((resolve) => {
    if (ws.readyState === WebSocket.CLOSED) return resolve({ code: 1006, reason: '', timedOut: false });
    const t = setTimeout(() => { ws.terminate(); }, timeoutMs);
    ws.once('close', (code, reason) => { clearTimeout(t); resolve({ code, reason: reason.toString() }); });
  });
}

const closeKey = ({ code, reason }) => (reason ? `close ${code} ${reason}` : `close ${code}`);

// ---------------------------------------------------------------------------------------------
/** connect, subscribe to a few symbols (upgrade URL), receive the snapshot, close; in `loops` loops. */
export function churn(ctx, { loops }) {
  const s = { kind: 'churn', loops, cycles: 0, failures: 0, errors: {}, closes: {}, cycleMs: [] };
  async function loop(i) {
    let n = 0;
    while (!ctx.stopped) {
      const syms = pick(ctx.symbols, 3, i * 1000 + n++);
      const t0 = performance.now();
      let gotSnapshot = null;
      let snapshotSeen = false;
      const onMessage = (data) => {
        if (!snapshotSeen && data.toString().startsWith('{"type":"snapshot"')) { snapshotSeen = true; gotSnapshot?.('ok'); }
      };
      let conn;
      try {
        conn = await openWs(ctx, `/ws?symbols=${encodeURIComponent(syms.join(','))}&interval=1000`, onMessage);
      } catch (err) {
        if (ctx.stopped) break;
        s.failures++; bump(s.errors, `connect: ${errKey(err)}`);
        await ctx.sleep(100);
        continue;
      }
      const { ws, untrack } = conn;
      const got = snapshotSeen ? 'ok' : await new Promise((resolve) => {
        const t = setTimeout(() => resolve('no snapshot within 5 s'), 5000);
        gotSnapshot = (v) => { clearTimeout(t); resolve(v); };
        ws.once('close', (code) => { clearTimeout(t); resolve(`closed ${code} before snapshot`); });
      });
      if (ctx.stopped) { untrack(); ws.terminate(); break; }
      if (got !== 'ok') { s.failures++; bump(s.errors, got); }
      if (ws.readyState === WebSocket.OPEN) ws.close(1000);
      const closed = await wsClosed(ws, 3000);
      untrack();
      bump(s.closes, closeKey(closed));
      if (got === 'ok') { s.cycles++; if (s.cycleMs.length < 200000) s.cycleMs.push(performance.now() - t0); }
    }
  }
  return { stats: s, run: () => Promise.all(Array.from({ length: loops }, (_, i) => loop(i))) };
}

// ---------------------------------------------------------------------------------------------
/**
 * Clients subscribed to `*` at interval 0 whose sockets never read after the handshake. When the
 * server closes one (seen in the kernel's TCP table), its buffered bytes are read to find the
 * close frame, the outcome is counted, and a new one takes its place.
 */
export function slowReaders(ctx, { count, maxLifeMs = 60000 }) {
  const s = { kind: 'slow readers', loops: count, connections: 0, closedByServer: 0, openAtEnd: 0, failures: 0,
    outcomes: {}, errors: {}, lifeMs: [], bytesLeftInKernel: [] };
  async function loop() {
    while (!ctx.stopped) {
      let h;
      try {
        h = await rawHandshake(ctx.port, '/ws?symbols=*&interval=0');
      } catch (err) {
        if (ctx.stopped) break;
        s.failures++; bump(s.errors, errKey(err));
        await ctx.sleep(200);
        continue;
      }
      if (ctx.stopped) { h.socket.destroy(); break; } // the handshake finished after the stop
      s.connections++;
      const untrack = ctx.track(h.socket);
      const t0 = performance.now();
      const why = await ctx.watcher.watch(h.socket, maxLifeMs);
      if (why === 'stopped' || ctx.stopped) { s.openAtEnd++; untrack(); h.socket.destroy(); break; }
      const lifeMs = performance.now() - t0;
      const { outcome, bytes } = await drainForClose(h.socket, h.leftover, { timeoutMs: 10000 });
      untrack();
      if (ctx.stopped && !outcome.startsWith('close')) { s.openAtEnd++; break; } // cut short by our own stop
      if (why === 'max-life' && outcome.startsWith('no close')) { bump(s.outcomes, `still open after ${maxLifeMs} ms (client gave up)`); continue; }
      s.closedByServer++;
      bump(s.outcomes, outcome);
      s.lifeMs.push(lifeMs);
      s.bytesLeftInKernel.push(bytes);
    }
  }
  return { stats: s, run: () => Promise.all(Array.from({ length: count }, () => loop())) };
}

// ---------------------------------------------------------------------------------------------
/**
 * Reading clients that send subscribe / unsubscribe / ping commands as fast as their socket takes
 * them; they count the replies, the rate_limited errors and the close codes, and reconnect.
 */
export function commandFlood(ctx, { count }) {
  const s = { kind: 'command flood', loops: count, connections: 0, commandsSent: 0, rateLimited: 0, replies: {},
    errorCodes: {}, closes: {}, failures: 0, errors: {} };
  async function loop(i) {
    let id = 0;
    while (!ctx.stopped) {
      const onMessage = (data) => {
        let m;
        try { m = JSON.parse(data.toString()); } catch { bump(s.replies, 'unparsable'); return; }
        if (m.type === 'error') {
          bump(s.errorCodes, m.code);
          if (m.code === 'rate_limited') s.rateLimited++;
        } else bump(s.replies, m.type);
      };
      let conn;
      try {
        conn = await openWs(ctx, `/ws?symbols=${encodeURIComponent(ctx.symbols[i % ctx.symbols.length])}&interval=1000`, onMessage);
      } catch (err) {
        if (ctx.stopped) break;
        s.failures++; bump(s.errors, errKey(err));
        await ctx.sleep(100);
        continue;
      }
      s.connections++;
      const { ws, untrack } = conn;
      const syms = pick(ctx.symbols, 3, i);
      const cmds = [
        () => `{"type":"subscribe","symbols":${JSON.stringify(syms)},"id":${++id}}`,
        () => `{"type":"unsubscribe","symbols":${JSON.stringify(syms)},"id":${++id}}`,
        () => `{"type":"ping","id":${++id}}`,
      ];
      let imm = null;
      let timer = null;
      let k = 0;
      const pump = () => {
        imm = timer = null;
        if (ws.readyState !== WebSocket.OPEN || ctx.stopped) return;
        let sent = 0;
        while (ws.bufferedAmount < 64 * 1024 && sent < 256) { ws.send(cmds[k++ % 3]()); sent++; }
        s.commandsSent += sent;
        if (sent > 0) imm = setImmediate(pump);
        else timer = setTimeout(pump, 2);
      };
      pump();
      const closed = await wsClosed(ws, 1e9);
      if (imm) clearImmediate(imm);
      if (timer) clearTimeout(timer);
      untrack();
      if (!ctx.stopped) bump(s.closes, closeKey(closed));
      else break;
      await ctx.sleep(20);
    }
  }
  return { stats: s, run: () => Promise.all(Array.from({ length: count }, (_, i) => loop(i))) };
}

// ---------------------------------------------------------------------------------------------
/** Raw clients subscribed to nothing that send ping frames (125-byte payloads) and never read. */
export function pingFlood(ctx, { count, maxLifeMs = 60000 }) {
  const PER_BATCH = 128;
  const batch = Buffer.concat(Array.from({ length: PER_BATCH }, () => encodeFrame(OP.PING, Buffer.alloc(125, 0x70))));
  const frameBytes = batch.length / PER_BATCH;
  const s = { kind: 'ping flood', loops: count, connections: 0, pingsSent: 0, closedByServer: 0, openAtEnd: 0,
    outcomes: {}, failures: 0, errors: {}, lifeMs: [], pingsPerConnection: [], longestWriteStallMs: [] };
  async function loop() {
    while (!ctx.stopped) {
      let h;
      try {
        h = await rawHandshake(ctx.port, '/ws?symbols=&interval=60000');
      } catch (err) {
        if (ctx.stopped) break;
        s.failures++; bump(s.errors, errKey(err));
        await ctx.sleep(200);
        continue;
      }
      if (ctx.stopped) { h.socket.destroy(); break; } // the handshake finished after the stop
      s.connections++;
      const { socket } = h;
      const untrack = ctx.track(socket);
      let writeError = null;
      socket.on('error', (err) => { writeError ??= errKey(err); });
      let imm = null;
      // How long our writes waited for 'drain' at most: long waits mean the server stopped reading us.
      let blockedSince = 0;
      let longestBlockMs = 0;
      const pump = () => {
        imm = null;
        for (let i = 0; i < 16; i++) {
          if (ctx.stopped || socket.destroyed) return;
          if (!socket.write(batch)) {
            blockedSince = performance.now();
            socket.once('drain', () => {
              longestBlockMs = Math.max(longestBlockMs, performance.now() - blockedSince);
              blockedSince = 0;
              pump();
            });
            return;
          }
        }
        imm = setImmediate(pump);
      };
      pump();
      const t0 = performance.now();
      const why = await ctx.watcher.watch(socket, maxLifeMs);
      if (imm) clearImmediate(imm);
      socket.removeAllListeners('drain');
      const pings = Math.floor(socket.bytesWritten / frameBytes);
      s.pingsSent += pings;
      if (blockedSince > 0) longestBlockMs = Math.max(longestBlockMs, performance.now() - blockedSince);
      if (why === 'stopped' || ctx.stopped) { s.openAtEnd++; untrack(); socket.destroy(); break; }
      const lifeMs = performance.now() - t0;
      let outcome;
      if (socket.destroyed) outcome = `socket error ${writeError ?? 'closed'} (no close frame read)`;
      else outcome = (await drainForClose(socket, h.leftover, { timeoutMs: 10000 })).outcome;
      untrack();
      if (ctx.stopped && !outcome.startsWith('close')) { s.openAtEnd++; break; } // cut short by our own stop
      if (why === 'max-life' && outcome.startsWith('no close')) { bump(s.outcomes, `still open after ${maxLifeMs} ms (client gave up)`); continue; }
      s.closedByServer++;
      bump(s.outcomes, outcome);
      s.lifeMs.push(lifeMs);
      s.pingsPerConnection.push(pings);
      s.longestWriteStallMs.push(longestBlockMs);
    }
  }
  return { stats: s, run: () => Promise.all(Array.from({ length: count }, () => loop())) };
}

// ---------------------------------------------------------------------------------------------
/** One bad thing per connection; what the server answered, per kind. */
export const HOSTILE_KINDS = ['unmasked', 'reserved-opcode', 'invalid-utf8', 'oversized-header', 'garbage', 'bad-json'];

function hostileBytes(kind, maxPayload) {
  switch (kind) {
    case 'unmasked': return encodeFrame(OP.TEXT, Buffer.from('{"type":"ping"}'), { mask: false });
    case 'reserved-opcode': return encodeFrame(0x3, Buffer.from('hi'));
    // "κόσμε" followed by an encoded UTF-16 surrogate (ED A0 80), invalid in UTF-8.
    case 'invalid-utf8': return encodeFrame(OP.TEXT, Buffer.from([0xce, 0xba, 0xe1, 0xbd, 0xb9, 0xcf, 0x83, 0xce, 0xbc, 0xce, 0xb5, 0xed, 0xa0, 0x80, 0x65]));
    case 'oversized-header': return encodeFrame(OP.BINARY, Buffer.alloc(0), { announce: maxPayload + 1 });
    // A second HTTP request where frames should be: 'G' = 0x47 sets RSV1 with opcode 7.
    case 'garbage': return Buffer.concat([Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x00, 0xff])]);
    case 'bad-json': return encodeFrame(OP.TEXT, Buffer.from('{"type":"subscribe","symbols":[AAPL'));
    default: throw new Error(kind);
  }
}

/**
 * `workers` loops cycling through HOSTILE_KINDS, and `stallers` loops that start a frame of
 * maxPayload bytes, send all of it but the last byte, and wait up to stallWaitMs for the server
 * to give up on it.
 */
export function hostile(ctx, { workers, stallers, maxPayload, stallWaitMs }) {
  const kinds = [...HOSTILE_KINDS, 'stalled-frame'];
  const s = { kind: 'hostile frames', loops: workers + stallers, attempts: 0, failures: 0, errors: {},
    byKind: Object.fromEntries(kinds.map((k) => [k, { attempts: 0, outcomes: {}, ms: [], openAtStopMs: [] }])) };

  async function attempt(kind) {
    let h;
    try {
      h = await rawHandshake(ctx.port, '/ws?symbols=&interval=60000');
    } catch (err) {
      if (!ctx.stopped) { s.failures++; bump(s.errors, errKey(err)); }
      return false;
    }
    const untrack = ctx.track(h.socket);
    const k = s.byKind[kind];
    k.attempts++; s.attempts++;
    const t0 = performance.now();
    let replied = '';
    if (kind === 'stalled-frame') {
      h.socket.write(encodeFrame(OP.BINARY, Buffer.alloc(maxPayload - 1, 0x41), { announce: maxPayload }));
    } else {
      h.socket.write(hostileBytes(kind, maxPayload));
    }
    const onText = kind === 'bad-json'
      ? (payload) => {
        let m; try { m = JSON.parse(payload.toString()); } catch { return; }
        if (m.type === 'error' && !replied) {
          replied = `error ${m.code}, then `;
          h.socket.write(encodeFrame(OP.CLOSE, Buffer.from([0x03, 0xe8]))); // our close 1000
        }
      }
      : undefined;
    const timeoutMs = kind === 'stalled-frame' ? stallWaitMs : 5000;
    const { outcome } = await drainForClose(h.socket, h.leftover, { timeoutMs, onText });
    untrack();
    const ms = performance.now() - t0;
    // Cut short by our own stop (the socket destroyed under the drain): not an answer of the server.
    if (ctx.stopped && !outcome.startsWith('close') && !replied) {
      if (kind === 'stalled-frame') { bump(k.outcomes, 'still open when the load stopped'); k.openAtStopMs.push(ms); }
      else { k.attempts--; s.attempts--; } // in flight at the stop: no answer to count
      return false;
    }
    bump(k.outcomes, replied + outcome.replace(/^(close \d+) .*$/, (m0, c) => `${c} "${m0.slice(c.length + 1)}"`));
    k.ms.push(ms);
    return true;
  }

  async function worker(i) {
    let n = i;
    while (!ctx.stopped) {
      const ok = await attempt(HOSTILE_KINDS[n++ % HOSTILE_KINDS.length]);
      if (!ok) await ctx.sleep(100);
    }
  }
  async function staller() {
    while (!ctx.stopped) {
      const ok = await attempt('stalled-frame');
      if (!ok) await ctx.sleep(100);
    }
  }
  return {
    stats: s,
    run: () => Promise.all([
      ...Array.from({ length: workers }, (_, i) => worker(i)),
      ...Array.from({ length: stallers }, () => staller()),
    ]),
  };
}
