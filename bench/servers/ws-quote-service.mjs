// The quote service as a typical `ws` user would write it, for M5: the same market
// simulator (imported from dist/src/market) and the same subscription semantics as
// `tickstream serve` (?symbols=A,B&interval=MS, 0 = every tick), but naive delivery:
// for every client, filter the batch, JSON.stringify, send. No shared encoding, no
// coalescing, no backpressure policy.
//
// Flags mirror the real CLI: --port --host --symbols N --ticks-per-second N --seed N
// --interval MS (--log-level is accepted and ignored).
import http from 'node:http';
import { WebSocketServer, WebSocket } from 'ws';
import { quoteServiceSetup } from './quote-service-setup.mjs';

const { opts, sim } = await quoteServiceSetup();
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
