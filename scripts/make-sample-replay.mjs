#!/usr/bin/env node
// Writes samples/replay/us-open.csv: the first five minutes of a US session for five large caps,
// recorded from the project's own simulator with a fixed seed, so the file is the same on every run.
// Play it with:   npm start -- --feed replay:samples/replay/us-open.csv [--replay-speed 10]
//
// Usage: npm run build && node scripts/make-sample-replay.mjs [OUT.csv]
//
// Columns: ts (ISO 8601, UTC), symbol, last, bid, ask, volume (cumulative), prevClose. prevClose is
// given on each symbol's first row only (an empty cell is an absent value): it is the reference of
// change and changePct, which the replay computes itself.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { MarketSimulator } = await import(resolve(root, 'dist/src/market/index.js')).catch((error) => {
  console.error(`make-sample-replay: cannot load the simulator from dist/ (run "npm run build" first): ${error.message}`);
  process.exit(1);
});

const OUT = resolve(process.argv[2] ?? resolve(root, 'samples/replay/us-open.csv'));
const SEED = 20240315;
const SYMBOLS = ['AAPL', 'MSFT', 'NVDA', 'AMZN', 'TSLA'];
/** 09:30:00 America/New_York on Friday 2024-03-15 (EDT, UTC-4). */
const OPEN = Date.UTC(2024, 2, 15, 13, 30, 0);
const MINUTES = 5;
/** About one trade per symbol per second. */
const TICKS_PER_SECOND = 5;
/** A busy open: five minutes of clock carry the price moves of half an hour. */
const TIME_SCALE = 6;
const STEP_MS = 100;

// Pinned: trading at every hour (no calendar) and no made-up history before the open, whatever the
// simulator's defaults become; the recording is just the live ticks from 09:30.
const simulator = new MarketSimulator({
  seed: SEED,
  symbols: SYMBOLS,
  ticksPerSecond: TICKS_PER_SECOND,
  timeScale: TIME_SCALE,
  now: OPEN,
  alwaysOpen: true,
  history: false,
});
const rows = ['ts,symbol,last,bid,ask,volume,prevClose'];
const row = (q, first) => `${new Date(q.ts).toISOString()},${q.symbol},${q.last},${q.bid},${q.ask},${q.volume},${first ? q.prevClose : ''}`;
// The opening auction: one quote per symbol at 09:30:00.000.
for (const quote of simulator.snapshot()) rows.push(row({ ...quote, ts: OPEN }, true));
let previousTs = OPEN;
for (let elapsed = STEP_MS; elapsed <= MINUTES * 60_000; elapsed += STEP_MS) {
  for (const quote of simulator.advance(STEP_MS, OPEN + elapsed)) {
    // The simulator stamps ticks inside each step; keep the file in time order to the millisecond.
    const ts = Math.max(previousTs, Math.round(quote.ts));
    previousTs = ts;
    rows.push(row({ ...quote, ts }, false));
  }
}
mkdirSync(dirname(OUT), { recursive: true });
const text = rows.join('\n') + '\n';
writeFileSync(OUT, text);
console.log(`${relative(process.cwd(), OUT) || OUT}: ${rows.length - 1} quotes of ${SYMBOLS.length} symbols over ${MINUTES} minutes, ${(text.length / 1024).toFixed(1)} KiB`);
