// The quote service as a typical `ws` user would write it, for M5: the same market
// simulator (imported from dist/src/market) and the same subscription semantics as
// `tickstream serve` (?symbols=A,B&interval=MS, 0 = every tick), but naive delivery:
// for every client, filter the batch, JSON.stringify, send. No shared encoding, no
// coalescing, no backpressure policy.
//
// Flags mirror the real CLI: --port --host --symbols N --ticks-per-second N --seed N
// --interval MS (--log-level is accepted and ignored).
import http from 'node:http';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { WebSocketServer, WebSocket } from 'ws';

const distRoot = process.env.TICKSTREAM_DIST ? resolve(process.env.TICKSTREAM_DIST) : fileURLToPath(new URL('../../dist', import.meta.url));
const { MarketSimulator } = await import(pathToFileURL(join(distRoot, 'src/market/index.js')).href);

const opts = { port: 8765, host: '127.0.0.1', symbols: 500, ticksPerSecond: 10000, seed: 1, interval: 1000 };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const v = argv[i + 1];
  switch (argv[i]) {
    case '--port': opts.port = Number(v); i++; break;
    case '--host': opts.host = v; i++; break;
    case '--symbols': opts.symbols = Number(v); i++; break;
    case '--ticks-per-second': opts.ticksPerSecond = Number(v); i++; break;
    case '--seed': opts.seed = Number(v); i++; break;
    case '--interval': opts.interval = Number(v); i++; break;
    case '--log-level': i++; break;
    default: throw new Error(`unknown flag ${argv[i]}`);
  }
}

const sim = new MarketSimulator({ symbols: opts.symbols, ticksPerSecond: opts.ticksPerSecond, seed: opts.seed });
const known = new Set(sim.universe().map((s) => s.symbol));
const latest = new Map(sim.snapshot().map((q) => [q.symbol, q]));

const server = http.createServer((req, res) => { res.writeHead(404).end(); });
const wss = new WebSocketServer({ server });

wss.on('connection', (ws, req) => {
  ws.on('error', () => {});
  const url = new URL(req.url, 'http://x');
  const list = url.searchParams.get('symbols');
  ws.symbols = new Set(list === null ? known : list.split(',').filter((s) => known.has(s)));
  ws.interval = url.searchParams.has('interval') ? Number(url.searchParams.get('interval')) : opts.interval;
  ws.changed = new Set();
  ws.send(JSON.stringify({ type: 'welcome', server: 'ws-quote-service', interval: ws.interval, symbols: [...ws.symbols] }));
  ws.send(JSON.stringify({ type: 'snapshot', quotes: [...ws.symbols].map((s) => latest.get(s)) }));
  if (ws.interval > 0) {
    ws.timer = setInterval(() => {
      if (ws.changed.size === 0) return;
      const quotes = [...ws.changed].map((s) => latest.get(s));
      ws.changed.clear();
      ws.send(JSON.stringify({ type: 'quotes', quotes }));
    }, ws.interval);
  }
  ws.on('close', () => clearInterval(ws.timer));
});

// Feed contract v2: the universe and opening quotes are already in `latest`; only batches matter here.
const onBatch = (batch) => {
  for (const q of batch) latest.set(q.symbol, q);
  for (const ws of wss.clients) {
    if (ws.readyState !== WebSocket.OPEN) continue;
    if (ws.interval > 0) {
      for (const q of batch) if (ws.symbols.has(q.symbol)) ws.changed.add(q.symbol);
      continue;
    }
    const quotes = batch.filter((q) => ws.symbols.has(q.symbol));
    if (quotes.length > 0) ws.send(JSON.stringify({ type: 'quotes', quotes }));
  }
};
sim.start({ universe() {}, status() {}, quotes: onBatch });

server.listen(opts.port, opts.host);
const shutdown = () => { sim.stop(); for (const ws of wss.clients) ws.terminate(); server.close(); process.exit(0); };
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
