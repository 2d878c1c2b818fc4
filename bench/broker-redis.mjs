#!/usr/bin/env node
// Throughput of the Redis broker path at saturation: one RedisPublisher process → redis-server →
// one RedisStreamSource process, synthetic batches, bounded in count and time. Prints quotes/s end to
// end and the CPU time each process spent (from /proc/PID/stat).
//
//   npm run build && node bench/broker-redis.mjs [--quotes 5000000] [--batch 1000] [--symbols 10000] [--seconds 60] [--lag 400000]
//   TICKSTREAM_DIST=/tmp/dist node bench/broker-redis.mjs      (a private build instead of dist/)
//   BENCH_CPU_PROF=/tmp/prof node bench/broker-redis.mjs       (a .cpuprofile per child process)
//   BENCH_NODE_FLAGS='--max-semi-space-size=64' node bench/broker-redis.mjs   (node flags of both children)
//
// The publisher is driven as fast as Redis acknowledges: it keeps at most --inflight quotes written
// and not yet acknowledged (the publisher's own bound is far larger), so the figure is the
// pipeline's steady rate rather than the speed of filling a socket buffer. It also stays at most
// --lag quotes ahead of what the edge delivered (the edge reports its progress): an edge that falls
// further behind than the stream holds (MAXLEN ~ 2000 entries of up to 500 quotes) is reset, as it
// would be in production, so the figure is the rate an edge keeps up with, not the publisher's alone
// ("publisher side" is printed too). An edge reset during the run ends it with an error.
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';

const rootDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const distRoot = process.env.TICKSTREAM_DIST ? resolve(process.env.TICKSTREAM_DIST) : join(rootDir, 'dist');
const REDIS = '/usr/bin/redis-server';

function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : Number(process.argv[i + 1]);
}
const opts = {
  quotes: option('quotes', 5_000_000),
  batch: option('batch', 1000),
  symbols: option('symbols', 10_000),
  seconds: option('seconds', 60),
  inflight: option('inflight', 100_000),
  lag: option('lag', 400_000),
};

async function load(name) {
  const file = join(distRoot, 'src/broker', `${name}.js`);
  if (!existsSync(file)) throw new Error(`${file} missing: run npm run build first (or set TICKSTREAM_DIST)`);
  return import(pathToFileURL(file).href);
}

const say = (obj) => process.stdout.write(JSON.stringify(obj) + '\n');
// Lines from the orchestrator: 'delivered N' (the edge's progress, for the publisher), or a command.
let delivered = 0;
let commandWaiter = null;
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.startsWith('delivered ')) delivered = Number(line.slice(10));
  else commandWaiter?.(line);
});
const nextCommand = () => new Promise((r) => (commandWaiter = r));
const PROGRESS_EVERY = 50_000;

// ---------------------------------------------------------------- publisher child
async function publisherRole(url) {
  const { RedisPublisher } = await load('redis-publisher');
  const symbols = Array.from({ length: opts.symbols }, (_, i) => `SYM${String(i).padStart(5, '0')}`);
  const universe = symbols.map((symbol) => ({ symbol, name: symbol, exchange: 'NASDAQ', currency: 'USD', prevClose: 100 }));
  const seqs = new Int32Array(opts.symbols);
  const state = { epoch: `bench-${Date.now().toString(36)}`, offset: 0 };
  const snapshot = () => ({ epoch: state.epoch, offset: state.offset, universe, quotes: [], status: { state: 'up' } });
  const publisher = new RedisPublisher({ url, snapshot, maxPendingQuotes: 10 * opts.inflight });
  await publisher.start();
  publisher.reset(snapshot());
  while (!publisher.health().ready) await new Promise((r) => setTimeout(r, 10));
  say({ ready: true });
  await nextCommand();
  const started = performance.now();
  let sent = 0;
  let k = 0;
  while (sent < opts.quotes) {
    if (publisher.health().details.inflightQuotes > opts.inflight || (opts.lag > 0 && sent - delivered > opts.lag)) {
      await new Promise((r) => setTimeout(r, 1));
      continue;
    }
    const n = Math.min(opts.batch, opts.quotes - sent);
    const batch = new Array(n);
    const ts = Date.now();
    for (let i = 0; i < n; i++) {
      const s = (k = (k + 7919) % opts.symbols);
      const cents = 10_000 + ((k * 31) % 2000) - 1000;
      batch[i] = {
        symbol: symbols[s], last: cents / 100, bid: (cents - 1) / 100, ask: (cents + 1) / 100, open: 100, high: 110, low: 90,
        prevClose: 100, change: (cents - 10_000) / 100, changePct: (cents - 10_000) / 100, volume: 100 * (seqs[s] + 1), ts,
        seq: ++seqs[s], offset: ++state.offset,
      };
    }
    publisher.quotes(batch);
    sent += n;
  }
  while (publisher.health().details.offset < state.offset) await new Promise((r) => setTimeout(r, 1));
  say({ done: true, ms: performance.now() - started, ...publisher.counters() });
  await nextCommand(); // the orchestrator reads our CPU time first
  await publisher.stop();
  process.exit(0);
}

// ---------------------------------------------------------------- source child
async function sourceRole(url) {
  const { RedisStreamSource } = await load('redis-source');
  let count = 0;
  let expected = 0;
  let broken = 0;
  let first = 0;
  let resets = 0;
  const source = new RedisStreamSource({ url, staleAfterMs: 60_000 });
  await source.start({
    reset: (s) => {
      expected = s.offset + 1;
      say(resets++ === 0 ? { ready: true, offset: s.offset } : { reset: true, offset: s.offset, count });
    },
    quotes: (batch) => {
      if (count === 0) first = performance.now();
      for (const q of batch) if (q.offset !== expected++) broken++;
      if (Math.floor((count + batch.length) / PROGRESS_EVERY) > Math.floor(count / PROGRESS_EVERY)) say({ progress: count + batch.length });
      count += batch.length;
      if (count >= opts.quotes) {
        say({ done: true, count, broken, ms: performance.now() - first, resyncs: source.resyncs });
        void nextCommand() // the orchestrator reads our CPU time first
          .then(() => source.stop())
          .then(() => process.exit(0));
      }
    },
    universe: () => undefined,
    status: () => undefined,
  });
}

// ---------------------------------------------------------------- orchestrator
const HZ = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

function cpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / HZ; // utime + stime
}

function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

function child(role, url, onMessage = () => false) {
  const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  const flags = (process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean);
  const proc = spawn(process.execPath, [...flags, ...profile, fileURLToPath(import.meta.url), '--role', role, '--url', url, ...process.argv.slice(2)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: proc.stdout });
  const waiting = [];
  const seen = [];
  lines.on('line', (line) => {
    let msg;
    try {
      msg = JSON.parse(line);
    } catch {
      return process.stderr.write(`[${role}] ${line}\n`);
    }
    if (onMessage(msg)) return;
    const i = waiting.findIndex((w) => w.key in msg);
    if (i >= 0) waiting.splice(i, 1)[0].resolve(msg);
    else seen.push(msg);
  });
  return {
    proc,
    send: (line) => proc.stdin.write(line + '\n'),
    next: (key) => {
      const i = seen.findIndex((m) => key in m);
      if (i >= 0) return Promise.resolve(seen.splice(i, 1)[0]);
      return new Promise((resolve) => waiting.push({ key, resolve }));
    },
  };
}

function within(ms, promise, what) {
  let timer;
  return Promise.race([promise, new Promise((_, rej) => (timer = setTimeout(() => rej(new Error(`${what}: no answer within ${ms} ms`)), ms)))]).finally(() =>
    clearTimeout(timer),
  );
}

async function orchestrate() {
  if (!existsSync(REDIS)) throw new Error('redis-server not installed: apt-get install redis-server');
  const dir = mkdtempSync(join(tmpdir(), 'tickstream-bench-redis-'));
  const port = await freePort();
  const redis = spawn(REDIS, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  const procs = [redis];
  const cleanup = () => {
    for (const p of procs) p.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  process.on('exit', cleanup);
  try {
    await within(5000, new Promise((res) => {
      let out = '';
      redis.stdout.on('data', (d) => {
        out += d;
        if (out.includes('Ready to accept connections')) res();
      });
    }), 'redis-server');
    const url = `redis://127.0.0.1:${port}`;
    const publisher = child('publisher', url);
    procs.push(publisher.proc);
    await within(10_000, publisher.next('ready'), 'publisher');
    let edgeReset = null;
    const edgeWasReset = new Promise((_, reject) => (edgeReset = reject));
    edgeWasReset.catch(() => undefined);
    const source = child('source', url, (msg) => {
      if ('progress' in msg) publisher.send(`delivered ${msg.progress}`);
      else if ('reset' in msg) edgeReset(new Error(`the edge fell behind what the stream holds and was reset after ${msg.count} quotes (lower --lag)`));
      else return false;
      return true;
    });
    procs.push(source.proc);
    await within(10_000, source.next('ready'), 'source');

    const before = { pub: cpuMs(publisher.proc.pid), src: cpuMs(source.proc.pid), redis: cpuMs(redis.pid) };
    const started = performance.now();
    publisher.send('go');
    const limit = opts.seconds * 1000;
    const [pubDone, srcDone] = await within(limit, Promise.race([Promise.all([publisher.next('done'), source.next('done')]), edgeWasReset]), 'the run');
    const wall = performance.now() - started;
    const after = { pub: cpuMs(publisher.proc.pid), src: cpuMs(source.proc.pid), redis: cpuMs(redis.pid) };
    publisher.send('quit');
    source.send('quit');

    const rate = (opts.quotes / wall) * 1000;
    console.log(
      `broker-redis: ${opts.quotes.toLocaleString('en')} quotes, batches of ${opts.batch}, ${opts.symbols} symbols, ${opts.inflight} in flight at most, ${opts.lag ? `${opts.lag} ahead of the edge at most` : 'not held back by the edge'}`,
    );
    console.log(`  end to end   ${Math.round(rate).toLocaleString('en')} quotes/s  (${(wall / 1000).toFixed(2)} s wall; publisher side ${(pubDone.ms / 1000).toFixed(2)} s)`);
    console.log(`  delivered    ${srcDone.count.toLocaleString('en')} quotes, ${srcDone.broken} out of order, ${srcDone.resyncs} snapshot reads`);
    for (const [name, key] of [['publisher', 'pub'], ['source', 'src'], ['redis-server', 'redis']]) {
      const ms = after[key] - before[key];
      console.log(`  cpu ${name.padEnd(13)}${(ms / 1000).toFixed(2)} s  (${Math.round((ms / wall) * 100)}% of one core, ${((ms * 1000) / opts.quotes).toFixed(2)} µs/quote)`);
    }
    console.log(JSON.stringify({ bench: 'broker-redis', ...opts, wallMs: Math.round(wall), quotesPerSecond: Math.round(rate), cpuMs: Object.fromEntries(Object.keys(after).map((k) => [k, after[k] - before[k]])) }));
    // Let them exit on their own (a .cpuprofile is written at exit), bounded.
    const exited = (p) => (p.exitCode !== null || p.signalCode !== null ? Promise.resolve() : new Promise((r) => p.once('exit', r)));
    await within(10_000, Promise.all([exited(publisher.proc), exited(source.proc)]), 'the children to exit').catch(() => undefined);
  } finally {
    cleanup();
  }
}

const roleAt = process.argv.indexOf('--role');
if (roleAt === -1) {
  orchestrate().then(
    () => process.exit(0),
    (err) => {
      console.error(`broker-redis: ${err.message}`);
      process.exit(1);
    },
  );
} else {
  const url = process.argv[process.argv.indexOf('--url') + 1];
  (process.argv[roleAt + 1] === 'publisher' ? publisherRole(url) : sourceRole(url)).catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
