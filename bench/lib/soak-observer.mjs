// The soak's well-behaved client, run in a worker thread so that its timings are not queued
// behind the attack loops of the main thread: one `ws` client subscribed to a few symbols at
// interval 0 measures quote latency (receive time - the quote's `ts`, which the feed stamps when
// it produces the tick), and every `probeEveryMs` a fresh connection measures the time to its
// `welcome`. Main posts 'stop'; the worker closes everything and posts its result.
import { parentPort, workerData } from 'node:worker_threads';
import WebSocket from 'ws';

const { port, symbols, probeEveryMs, welcomeTimeoutMs, localAddress } = workerData;
// Its own source address (127.0.0.2 by default): the attackers' per-address limits are not its own.
const base = localAddress ? { perMessageDeflate: false, localAddress } : { perMessageDeflate: false };
const url = (path) => `ws://127.0.0.1:${port}${path}`;

const r = {
  symbols,
  quoteMessages: 0,
  quotes: 0,
  latencyMs: [],
  firstQuoteAt: 0,
  lastQuoteAt: 0,
  maxGapMs: 0,
  maxGapAt: 0,
  disconnects: [],
  connects: 0,
  welcome: { attempts: 0, ok: 0, ms: [], failures: {} },
};
let stopped = false;
let client = null;
let reconnectTimer = null;
let probeTimer = null;
const probes = new Set();

function connect() {
  if (stopped) return;
  r.connects++;
  const ws = new WebSocket(url(`/ws?symbols=${encodeURIComponent(symbols.join(','))}&interval=0`), base);
  client = ws;
  ws.on('error', () => {});
  ws.on('message', (data) => {
    const now = Date.now();
    const text = data.toString();
    if (!text.startsWith('{"type":"quotes"')) return;
    const msg = JSON.parse(text);
    r.quoteMessages++;
    if (r.lastQuoteAt > 0) {
      const gap = now - r.lastQuoteAt;
      if (gap > r.maxGapMs) { r.maxGapMs = gap; r.maxGapAt = now; }
    } else r.firstQuoteAt = now;
    r.lastQuoteAt = now;
    for (const q of msg.quotes) {
      r.quotes++;
      r.latencyMs.push(now - q.ts);
    }
    if (r.quoteMessages === 1) parentPort.postMessage({ type: 'first-quote' });
  });
  ws.on('close', (code, reason) => {
    if (client === ws) client = null;
    if (stopped) return;
    r.disconnects.push({ at: Date.now(), code, reason: reason.toString() });
    reconnectTimer = setTimeout(connect, 200);
  });
}

function probe() {
  probeTimer = setTimeout(probe, probeEveryMs);
  if (stopped) return;
  r.welcome.attempts++;
  const t0 = performance.now();
  const ws = new WebSocket(url('/ws?symbols=AAPL&interval=1000'), { ...base, handshakeTimeout: welcomeTimeoutMs });
  probes.add(ws);
  let settled = false;
  const done = (failure) => {
    if (settled) return;
    settled = true;
    clearTimeout(t);
    if (failure === null) { r.welcome.ok++; r.welcome.ms.push(performance.now() - t0); }
    else if (!stopped) r.welcome.failures[failure] = (r.welcome.failures[failure] ?? 0) + 1;
    if (ws.readyState === WebSocket.OPEN) ws.close(1000); else ws.terminate();
  };
  const t = setTimeout(() => done(`no welcome within ${welcomeTimeoutMs} ms`), welcomeTimeoutMs);
  ws.on('error', (err) => done(String(err.code ?? err.message).slice(0, 60)));
  ws.once('unexpected-response', (_q, res) => done(`HTTP ${res.statusCode}`));
  ws.on('message', (data) => { if (data.toString().startsWith('{"type":"welcome"')) done(null); });
  ws.on('close', () => { probes.delete(ws); done('closed before welcome'); });
}

parentPort.on('message', (m) => {
  if (m?.type !== 'stop') return;
  stopped = true;
  clearTimeout(reconnectTimer);
  clearTimeout(probeTimer);
  // The gap still running at the end counts too: a client starved until the very end is starved.
  if (r.lastQuoteAt > 0) {
    const gap = Date.now() - r.lastQuoteAt;
    if (gap > r.maxGapMs) { r.maxGapMs = gap; r.maxGapAt = Date.now(); }
  }
  if (client) client.terminate();
  for (const ws of probes) ws.terminate();
  parentPort.postMessage({ type: 'result', result: r });
  parentPort.close();
});

connect();
probeTimer = setTimeout(probe, 500);
