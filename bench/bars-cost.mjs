// What building bars costs per feed tick: the simulator plus the stream cache's applyQuote, with and
// without bars and recent ticks (StreamState history on/off), 2,000 symbols at 50,000 ticks/s of
// simulated time, steady state (the first 10 s of simulated time are not measured), alternating runs.
// Usage: npm run build && taskset -c 1 node bench/bars-cost.mjs   (docs/history.md quotes its figures)
import { StreamState } from '../dist/src/broker/stream-state.js';
import { MarketSimulator } from '../dist/src/market/index.js';

function run(history) {
  const sim = new MarketSimulator({ seed: 1, symbols: 2000, ticksPerSecond: 50_000 });
  const state = new StreamState({ history });
  state.applyUniverse(sim.universe());
  const start = Date.now();
  let offset = 0;
  let n = 0;
  let t0 = 0;
  for (let i = 0; i < 600; i++) {
    if (i === 200) {
      t0 = performance.now();
      n = 0;
    }
    for (const q of sim.advance(50, start + i * 50)) {
      q.offset = ++offset;
      state.applyQuote(q);
      n++;
    }
  }
  return ((performance.now() - t0) * 1e6) / n;
}

const runs = { without: [], with: [] };
for (let k = 0; k < 5; k++) {
  runs.without.push(run(false));
  runs.with.push(run(true));
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log('ns per tick (simulator + cache), 2,000 symbols, median of 5');
console.log(`  without bars ${median(runs.without).toFixed(0)}   runs: ${runs.without.map((x) => x.toFixed(0)).join(' ')}`);
console.log(`  with bars    ${median(runs.with).toFixed(0)}   runs: ${runs.with.map((x) => x.toFixed(0)).join(' ')}`);
console.log(`  bars cost    ${(median(runs.with) - median(runs.without)).toFixed(0)} ns per tick`);
