// A tickstream feed plugin: a random walk over two symbols. It imports nothing, so it works copied
// anywhere as an ES module (a .js file in a "type": "module" package, or rename it .mjs). Run it with
//   tickstream serve --feed module:./custom-feed.js        (or module:./custom-feed.js#100 for 100 ms ticks)
export default function randomWalkFeed(context) {
  const periodMs = Number(context.arg) || 250;
  const universe = [
    { symbol: 'WALK', name: 'Random Walk Inc.', exchange: 'DEMO', currency: 'USD', prevClose: 100 },
    { symbol: 'DRFT', name: 'Drift Corp.', exchange: 'DEMO', currency: 'USD', prevClose: 20 },
  ];
  const latest = new Map(); // symbol -> its last Quote
  let timer;
  // Prices in integer cents so every number prints cleanly; the first quote of a symbol opens it.
  const tick = ({ symbol, prevClose }) => {
    const prev = latest.get(symbol);
    const base = Math.round(prevClose * 100);
    const cents = Math.max(2, (prev ? Math.round(prev.last * 100) : base) + Math.round((Math.random() - 0.5) * 10));
    const last = cents / 100;
    const quote = {
      symbol, last, bid: (cents - 1) / 100, ask: (cents + 1) / 100,
      open: prev?.open ?? last, high: Math.max(prev?.high ?? last, last), low: Math.min(prev?.low ?? last, last),
      prevClose, change: (cents - base) / 100, changePct: Math.round(((cents - base) / base) * 10000) / 100,
      volume: (prev?.volume ?? 0) + 100, ts: Date.now(), seq: (prev?.seq ?? 0) + 1,
    };
    latest.set(symbol, quote);
    return quote;
  };
  return {
    name: 'random-walk',
    start(sink) {
      sink.universe(universe); // what can be quoted, before any quote
      sink.quotes(universe.map(tick)); // the opening quotes, seq 1
      sink.status({ state: 'up' });
      timer = setInterval(() => sink.quotes(universe.map(tick)), periodMs);
    },
    async stop() {
      clearInterval(timer);
    },
  };
}
