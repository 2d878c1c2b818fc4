// Measures how many ticks per second the market simulator generates for 10,000 symbols.
// Run: node --import tsx bench/simulator-rate.ts [--seconds=3] [--symbols=10000] [--rate=2000000]
//
// The simulator is driven exactly as start() drives it (advance() every 50 ms of simulated time,
// full Quote objects returned in a batch), but as fast as the CPU allows instead of in real time:
// generated ticks / wall seconds is the ceiling one process can feed to the hub.
// A second, smaller measurement compares the two ways of timing Poisson ticks per symbol that were
// considered: the aggregate marked process the simulator uses vs a binary heap of next-tick times.
import { MarketSimulator } from '../src/market/index.js';
import { Xoshiro128 } from '../src/market/rng.js';

function arg(name: string, fallback: number): number {
  const hit = process.argv.find((a) => a.startsWith(`--${name}=`));
  return hit === undefined ? fallback : Number(hit.slice(name.length + 3));
}

const seconds = arg('seconds', 3);
const symbols = arg('symbols', 10_000);
const rate = arg('rate', 2_000_000);
const stepMs = 50;

function measureSimulator(): void {
  const sim = new MarketSimulator({ seed: 1, symbols, ticksPerSecond: rate, now: 0 });
  // Warm-up so the JIT has optimised the hot loop before timing.
  for (let k = 0; k < 20; k++) sim.advance(stepMs, k * stepMs);
  let ticks = 0;
  let checksum = 0; // consume the output so nothing is optimised away
  let now = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  let batches = 0;
  while (performance.now() < deadline) {
    now += stepMs;
    const batch = sim.advance(stepMs, now);
    ticks += batch.length;
    checksum += batch[batch.length - 1]?.last ?? 0;
    batches++;
  }
  const wall = (performance.now() - started) / 1000;
  console.log(
    `simulator: ${symbols} symbols, ticksPerSecond=${rate}, ${batches} batches of ~${Math.round(ticks / batches)} ticks`,
  );
  console.log(`  generated ${ticks} ticks in ${wall.toFixed(2)} s wall = ${Math.round(ticks / wall).toLocaleString('en-US')} ticks/s`);
  console.log(`  (${((ticks / wall / rate) * 100).toFixed(0)} % of real time at that rate; checksum ${checksum.toFixed(2)})`);
}

/** Next-symbol selection only: aggregate exponential clock + uniform mark (O(1)). */
function measureMarked(n: number, events: number): number {
  const rng = new Xoshiro128(1);
  const meanGap = 1 / n;
  let t = 0;
  let sink = 0;
  const started = performance.now();
  for (let k = 0; k < events; k++) {
    t += rng.nextExponential(meanGap);
    sink += rng.nextIndex(n);
  }
  const ms = performance.now() - started;
  if (sink < 0 || t < 0) console.log('unreachable');
  return events / (ms / 1000);
}

/** Next-symbol selection only: binary min-heap of per-symbol next-tick times (O(log n)). */
function measureHeap(n: number, events: number): number {
  const rng = new Xoshiro128(1);
  const time = new Float64Array(n);
  const heap = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    time[i] = rng.nextExponential(1);
    heap[i] = i;
  }
  const siftDown = (pos: number): void => {
    const item = heap[pos]!;
    for (;;) {
      let child = 2 * pos + 1;
      if (child >= n) break;
      if (child + 1 < n && time[heap[child + 1]!]! < time[heap[child]!]!) child++;
      if (time[heap[child]!]! >= time[item]!) break;
      heap[pos] = heap[child]!;
      pos = child;
    }
    heap[pos] = item;
  };
  for (let i = (n >> 1) - 1; i >= 0; i--) siftDown(i);
  let sink = 0;
  const started = performance.now();
  for (let k = 0; k < events; k++) {
    const i = heap[0]!;
    sink += i;
    time[i] += rng.nextExponential(1);
    siftDown(0);
  }
  const ms = performance.now() - started;
  if (sink < 0) console.log('unreachable');
  return events / (ms / 1000);
}

console.log(`node ${process.version}, ${seconds} s per measurement`);
measureSimulator();
const events = 5_000_000;
measureMarked(symbols, 200_000);
measureHeap(symbols, 200_000);
const marked = measureMarked(symbols, events);
const heap = measureHeap(symbols, events);
console.log(`tick scheduling alone, ${symbols} symbols, ${events.toLocaleString('en-US')} events:`);
console.log(`  aggregate Poisson + uniform mark (used): ${Math.round(marked).toLocaleString('en-US')} events/s`);
console.log(`  binary heap of next-tick times:          ${Math.round(heap).toLocaleString('en-US')} events/s`);
