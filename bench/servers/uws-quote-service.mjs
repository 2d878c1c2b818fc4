// The quote service as a uWebSockets.js user would write it, for M5: the same market simulator
// (imported from dist/src/market) and the same subscription semantics as `tickstream serve`
// (?symbols=A,B&interval=MS, 0 = every tick), on uWS's own pub/sub, the way its documentation
// shows: one topic per symbol, `ws.subscribe(symbol)` for each symbol a client watches, and
// `app.publish(symbol, message)` for each update.
//
// Per-symbol messages, each serialised once and published to its topic: that is uWS's idiom and its
// fastest path here. uWS corks each subscriber's messages of one loop turn into one write, so a batch
// of ticks costs one syscall per socket however many symbols changed; per-batch messages would need a
// message per distinct watchlist (no sharing) or client-side filtering (every client gets every
// symbol). At an interval above 0, the latest value of each symbol that changed is published once per
// interval (every client here has the same interval, so this is the per-client conflation of the
// others). Flags mirror the real CLI: --port --host --symbols N --ticks-per-second N --seed N
// --interval MS (--log-level is accepted and ignored).
import uWS from '@trufflesuite/uws-js-unofficial';
import { quoteServiceSetup } from './quote-service-setup.mjs';

const { opts, sim } = await quoteServiceSetup();
const known = new Set(sim.universe().map((s) => s.symbol));
const latest = new Map(sim.snapshot().map((q) => [q.symbol, q]));
const changed = new Set();
const sockets = new Set();

const app = uWS.App()
  .ws('/*', {
    compression: uWS.DISABLED,
    maxPayloadLength: 64 * 1024,
    // Generous, so that a slow client is buffered rather than dropped while measuring.
    maxBackpressure: 64 * 1024 * 1024,
    idleTimeout: 0,
    upgrade: (res, req, context) => {
      const query = new URLSearchParams(req.getQuery() ?? '');
      res.upgrade(
        { symbols: query.get('symbols'), interval: query.has('interval') ? Number(query.get('interval')) : opts.interval },
        req.getHeader('sec-websocket-key'),
        req.getHeader('sec-websocket-protocol'),
        req.getHeader('sec-websocket-extensions'),
        context,
      );
    },
    open: (ws) => {
      const data = ws.getUserData();
      const list = data.symbols === null ? [...known] : data.symbols.split(',').filter((s) => known.has(s));
      sockets.add(ws);
      ws.send(JSON.stringify({ type: 'welcome', server: 'uws-quote-service', interval: data.interval, symbols: list }));
      ws.send(JSON.stringify({ type: 'snapshot', quotes: list.map((s) => latest.get(s)) }));
      for (const symbol of list) ws.subscribe(symbol);
    },
    close: (ws) => {
      sockets.delete(ws);
    },
  })
  .any('/*', (res) => res.writeStatus('404 Not Found').end());

// Feed contract v2: the universe and opening quotes are already in `latest`; only batches matter here.
const onBatch = (batch) => {
  for (const q of batch) latest.set(q.symbol, q);
  if (opts.interval > 0) {
    for (const q of batch) changed.add(q.symbol);
    return;
  }
  for (const q of batch) app.publish(q.symbol, `{"type":"quotes","quotes":[${JSON.stringify(q)}]}`, false);
};
sim.start({ universe() {}, status() {}, quotes: onBatch });
const flushTimer = opts.interval > 0
  ? setInterval(() => {
      for (const symbol of changed) app.publish(symbol, `{"type":"quotes","quotes":[${JSON.stringify(latest.get(symbol))}]}`, false);
      changed.clear();
    }, opts.interval)
  : null;

app.listen(opts.host, opts.port, (token) => {
  if (!token) {
    console.error(`uws-quote-service: cannot listen on ${opts.host}:${opts.port}`);
    process.exit(1);
  }
});
const shutdown = () => {
  sim.stop();
  if (flushTimer !== null) clearInterval(flushTimer);
  for (const ws of sockets) ws.close();
  app.close?.();
  process.exit(0);
};
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
