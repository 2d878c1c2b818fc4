#!/usr/bin/env node
// `npm run soak`: one `tickstream serve` under every abusive load at once for --duration seconds
// (churn, slow readers, command floods, ping floods from non-readers, hostile frames) while a
// well-behaved client measures its quote latency and a fresh connection its time to welcome.
// Samples the server's RSS, heap, fds, event-loop delay and connections every --sample-every
// seconds (and before / after), prints a table and the bounds, writes bench/results/soak-*.json,
// and exits 0 when every bound held, 1 otherwise. See docs/soak.md.
//
//   node bench/soak.mjs [--duration 600] [--json] [... see --help]
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import net from 'node:net';
import os from 'node:os';
import { readRss, readCpuSeconds, spawnPinned, sleep } from './lib/proc.mjs';
import { freePort, waitForPort } from './lib/service.mjs';
import { LoadContext, churn, commandFlood, hostile, pingFlood, slowReaders } from './lib/soak-loads.mjs';
import { fdBreakdown, httpGet } from './lib/soak-wire.mjs';
import { MiB, dist, evaluate, renderTable, summarizeSamples } from './lib/soak-report.mjs';

const benchDir = dirname(fileURLToPath(import.meta.url));
const rootDir = resolve(benchDir, '..');
const distRoot = process.env.TICKSTREAM_DIST ? resolve(process.env.TICKSTREAM_DIST) : join(rootDir, 'dist');

// ------------------------------------------------------------------ options
const FLAGS = {
  duration: ['durationS', 600, 'seconds of load'],
  'sample-every': ['sampleEveryS', 2, 'seconds between samples'],
  'ticks-per-second': ['ticksPerSecond', 1000, 'simulator tick rate of the server'],
  'max-payload': ['maxPayload', 1048576, 'the server\'s --max-payload; the hostile frames are sized from it'],
  churn: ['churnLoops', 20, 'concurrent connect/snapshot/close loops'],
  'slow-readers': ['slowReaders', 20, 'clients on * at interval 0 that never read'],
  flooders: ['flooders', 5, 'clients sending commands as fast as they can'],
  'ping-flooders': ['pingFlooders', 3, 'non-reading clients sending ping frames'],
  hostile: ['hostileLoops', 4, 'loops sending one bad frame per connection'],
  stallers: ['stallers', 2, 'loops starting a maxPayload frame and never finishing it'],
  'stall-wait': ['stallWaitMs', 45000, 'ms a staller waits for the server to give up on its frame'],
  'probe-every': ['probeEveryS', 2, 'seconds between fresh-connection welcome probes'],
  'max-rss-growth': ['maxRssGrowthMiB', 300, 'bound: peak RSS minus baseline, MiB'],
  'abort-rss-growth': ['abortRssGrowthMiB', 1024, 'safety: stop the load when RSS grows past this, MiB'],
  'max-fd-growth': ['maxFdGrowth', 20, 'bound: open fds after drain minus baseline'],
  'max-healthz-ms': ['maxHealthzMs', 1000, 'bound: every /healthz sample answers 200 within this'],
  'max-p99': ['maxP99Ms', 250, 'bound: well-behaved client p99 quote latency, ms'],
  'max-welcome-p99': ['maxWelcomeP99Ms', 1000, 'bound: welcome probe p99, ms (and no probe may fail)'],
  'max-quote-gap': ['maxQuoteGapMs', 5000, 'bound: longest gap between the well-behaved client\'s quote messages, ms'],
  'drain-timeout': ['drainTimeoutS', 30, 'seconds to wait after the load for 0 connections and the fds back at the baseline'],
};

/** --only NAME,...: the loads kept; the others get 0 loops. */
const ONLY = {
  churn: ['churnLoops'],
  'slow-readers': ['slowReaders'],
  'command-flood': ['flooders'],
  'ping-flood': ['pingFlooders'],
  hostile: ['hostileLoops', 'stallers'],
};

function usage() {
  const lines = ['usage: node bench/soak.mjs [options]   (npm run soak -- [options])', ''];
  for (const [flag, [, def, help]] of Object.entries(FLAGS)) lines.push(`  --${flag.padEnd(18)} ${String(def).padStart(9)}  ${help}`);
  lines.push(`  --${'server-arg ARG'.padEnd(18)} ${''.padStart(9)}  extra argument for tickstream serve (repeatable)`);
  lines.push(`  --${'only LOAD,...'.padEnd(18)} ${''.padStart(9)}  run only these loads: ${Object.keys(ONLY).join(', ')}`);
  lines.push(`  --${'client-address IP'.padEnd(18)} ${'127.0.0.2'.padStart(9)}  source address of the well-behaved client and the welcome probe ('' = same as the attackers)`);
  lines.push(`  --${'no-pin'.padEnd(18)} ${''.padStart(9)}  do not pin the server to CPU 0 and the load to CPU 1`);
  lines.push(`  --${'out FILE'.padEnd(18)} ${''.padStart(9)}  result file (default bench/results/soak-<time>.json)`);
  lines.push(`  --${'json'.padEnd(18)} ${''.padStart(9)}  print the result JSON on stdout (the table goes to stderr)`);
  return lines.join('\n');
}

function parseArgs(argv) {
  const o = Object.fromEntries(Object.values(FLAGS).map(([key, def]) => [key, def]));
  o.serverArgs = [];
  o.pin = true;
  o.json = false;
  o.out = null;
  o.only = null;
  o.clientAddress = '127.0.0.2';
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i];
    let value = null;
    const eq = a.indexOf('=');
    if (a.startsWith('--') && eq > 0) { value = a.slice(eq + 1); a = a.slice(0, eq); }
    const take = () => {
      if (value !== null) return value;
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--help' || a === '-h') { console.log(usage()); process.exit(0); }
    else if (a === '--json') o.json = true;
    else if (a === '--no-pin') o.pin = false;
    else if (a === '--out') o.out = take();
    else if (a === '--server-arg') o.serverArgs.push(take());
    else if (a === '--client-address') o.clientAddress = take();
    else if (a === '--only') o.only = take().split(',').map((x) => x.trim()).filter(Boolean);
    else if (a.startsWith('--') && FLAGS[a.slice(2)]) {
      const n = Number(take());
      if (!Number.isFinite(n) || n < 0) throw new Error(`${a}: not a non-negative number`);
      o[FLAGS[a.slice(2)][0]] = n;
    } else throw new Error(`unknown argument ${a}\n\n${usage()}`);
  }
  if (o.only) {
    const known = Object.keys(ONLY);
    for (const name of o.only) if (!known.includes(name)) throw new Error(`--only: unknown load ${name} (known: ${known.join(', ')})`);
    for (const [name, keys] of Object.entries(ONLY)) if (!o.only.includes(name)) for (const k of keys) o[k] = 0;
  }
  if (o.durationS <= 0) throw new Error('--duration must be > 0');
  if (o.sampleEveryS <= 0) throw new Error('--sample-every must be > 0');
  return o;
}

let opts;
try {
  opts = parseArgs(process.argv.slice(2));
} catch (err) {
  console.error(`soak: ${err.message}`);
  process.exit(2);
}
const log = (...a) => console.error('[soak]', ...a);

// ------------------------------------------------------------------ processes
function hasTaskset() {
  try { execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' }); return true; } catch { return false; }
}

/** spawnPinned's interface without taskset, for machines that lack it (or --no-pin). */
let unpinnedChild = null;
function spawnUnpinned(cmd, args, { env, cwd }) {
  const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], env, cwd });
  unpinnedChild = child;
  let stderr = '';
  let exited = null;
  const events = [];
  let partial = '';
  child.stdout.on('data', (d) => {
    partial += d;
    let nl;
    while ((nl = partial.indexOf('\n')) >= 0) {
      const line = partial.slice(0, nl);
      partial = partial.slice(nl + 1);
      try { events.push(JSON.parse(line)); } catch { stderr = (stderr + line + '\n').slice(-4000); }
    }
  });
  child.stderr.on('data', (d) => { stderr = (stderr + d).slice(-4000); });
  child.stdin.on('error', () => {});
  const exitPromise = new Promise((res) => child.on('close', (code, signal) => { exited = { code, signal }; unpinnedChild = null; res(exited); }));
  return {
    child, events, exited: exitPromise,
    get pid() { return child.pid; },
    get stderr() { return stderr; },
    async stop(graceMs = 2000, signal = null) {
      if (exited) return;
      try { child.stdin.end(); } catch { /* ignore */ }
      if (signal) { try { child.kill(signal); } catch { /* gone */ } }
      const t = setTimeout(() => { try { child.kill('SIGKILL'); } catch { /* gone */ } }, graceMs);
      await exitPromise;
      clearTimeout(t);
    },
  };
}
process.on('exit', () => { if (unpinnedChild) { try { unpinnedChild.kill('SIGKILL'); } catch { /* gone */ } } });

/** Whether a TCP connection to 127.0.0.1:port can come from `address` (any 127/8 address on Linux). */
function canBind(address, port) {
  return new Promise((res) => {
    const s = net.connect({ host: '127.0.0.1', port, localAddress: address });
    s.once('connect', () => { s.destroy(); res(true); });
    s.once('error', () => res(false));
  });
}

/** The promise's value, or `onTimeout` after ms; the timer is cleared either way (a race must not hold the loop). */
function within(promise, ms, onTimeout) {
  let t;
  return Promise.race([promise, new Promise((res) => { t = setTimeout(() => res(onTimeout), ms); })]).finally(() => clearTimeout(t));
}

/**
 * Busy CPU seconds from /proc/stat, the whole machine and each CPU: user+nice+system+steal (irq and
 * softirq are left out: loopback traffic of the server and the load is processed there, not charged
 * to either process, and is no one else's).
 */
function readCpuBusy() {
  const out = {};
  for (const line of readFileSync('/proc/stat', 'latin1').split('\n')) {
    if (!line.startsWith('cpu')) break;
    const [name, ...f] = line.trim().split(/\s+/);
    const n = f.map(Number);
    out[name] = (n[0] + n[1] + n[2] + (n[7] || 0)) / 100; // USER_HZ = 100
  }
  return out;
}

const countFds = (pid) => readdirSync(`/proc/${pid}/fd`).length;
const metric = (text, name) => {
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text ?? '');
  return m ? Number(m[1]) : NaN;
};

// ------------------------------------------------------------------ the run
const cli = join(distRoot, 'src/app/cli.js');
if (!existsSync(cli)) { console.error(`soak: ${cli} not built (npm run build)`); process.exit(2); }

const startedAt = new Date();
const result = {
  startedAt: startedAt.toISOString(),
  finishedAt: null,
  options: opts,
  machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version, loadavg: os.loadavg() },
  server: { pid: null, port: null, args: null, pinned: false, exitedDuringRun: null, shutdown: null, logCounts: {}, logExamples: [] },
  loadPinned: false,
  clientAddress: null,
  baselineFdKinds: null,
  universe: 0,
  samples: [],
  watchdog: { peakRssMiB: 0, aborted: null, abortedAtS: null },
  drain: { waitedS: 0, connectionsLeft: null },
  loadSeconds: 0,
  client: null,
  attacks: null,
  summary: null,
  bounds: [],
  ok: false,
  error: null,
};
const outFile = opts.out ? resolve(opts.out) : join(benchDir, 'results', `soak-${result.startedAt.replace(/[:.]/g, '-')}.json`);

function writeResult() {
  mkdirSync(dirname(outFile), { recursive: true });
  writeFileSync(outFile, JSON.stringify(result, null, 2) + '\n');
}

// Ctrl-C / SIGTERM: proc.mjs kills the server and exits 130; before that, keep what we have.
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.prependListener(sig, () => {
    result.error = `interrupted by ${sig}`;
    result.finishedAt = new Date().toISOString();
    try { writeResult(); console.error(`\n[soak] interrupted by ${sig}: partial result in ${outFile}`); } catch { /* best effort */ }
    if (unpinnedChild) { try { unpinnedChild.kill('SIGKILL'); } catch { /* gone */ } }
    // proc.mjs's own listener (registered when it was imported) then kills its children and exits 130.
  });
}

const canPin = opts.pin && os.cpus().length >= 2 && hasTaskset();
if (canPin) {
  try {
    execFileSync('taskset', ['-a', '-p', '-c', '1', String(process.pid)], { stdio: 'ignore' });
    result.loadPinned = true;
  } catch (err) { log(`could not pin the load to CPU 1: ${err.message}`); }
} else if (opts.pin) log('not pinning: taskset missing or fewer than 2 CPUs');

let proc = null;
let ctx = null;
let observer = null;
let watchdogTimer = null;
let progressTimer = null;
const loopDelay = monitorEventLoopDelay({ resolution: 10 });
loopDelay.enable();
const t0 = performance.now();
const elapsedS = () => (performance.now() - t0) / 1000;

let abortWake = null;
function abort(reason) {
  if (result.watchdog.aborted) return;
  result.watchdog.aborted = reason;
  result.watchdog.abortedAtS = loadStartedAt === null ? 0 : (performance.now() - loadStartedAt) / 1000;
  log(`stopping the load early: ${reason}`);
  abortWake?.();
}
let loadStartedAt = null;

let lastCpu = null;
async function sample(phase) {
  const pid = proc.pid;
  const s = { phase, t: elapsedS(), rssMiB: NaN, fds: NaN, cpuPct: NaN };
  try { s.rssMiB = readRss(pid) / MiB; } catch { /* gone */ }
  try { s.fds = countFds(pid); } catch { /* gone */ }
  try {
    // The server's CPU, and what the rest of the machine used meanwhile: on the server's own CPU
    // when it is pinned (busy CPU 0 minus the server), else everywhere minus server and load.
    const cpu = readCpuSeconds(pid);
    const busy = readCpuBusy();
    const self = process.cpuUsage();
    const now = performance.now();
    if (lastCpu) {
      const secs = (now - lastCpu.at) / 1000;
      const server = cpu - lastCpu.cpu;
      s.cpuPct = (100 * server) / secs;
      const selfS = (self.user + self.system - lastCpu.self.user - lastCpu.self.system) / 1e6;
      const others = result.server.pinned && busy.cpu0 !== undefined
        ? busy.cpu0 - lastCpu.busy.cpu0 - server
        : busy.cpu - lastCpu.busy.cpu - server - selfS;
      s.otherCpuPct = Math.max(0, (100 * others) / secs);
    }
    lastCpu = { cpu, at: now, busy, self };
  } catch { /* gone */ }
  const hz = await httpGet(proc.port, '/healthz', opts.maxHealthzMs);
  s.healthzMs = hz.ms;
  s.healthzOk = hz.status === 200;
  if (hz.error || hz.status !== 200) s.healthzError = hz.error ?? `HTTP ${hz.status}`;
  else {
    try { s.connections = JSON.parse(hz.body).clients; } catch { s.healthzOk = false; s.healthzError = 'bad JSON'; }
  }
  const m = await httpGet(proc.port, '/metrics', 5000);
  if (m.status === 200) {
    s.heapUsedMiB = metric(m.body, 'nodejs_heap_size_used_bytes') / MiB;
    s.externalMiB = metric(m.body, 'nodejs_external_memory_bytes') / MiB;
    s.loopP99Ms = metric(m.body, 'nodejs_eventloop_lag_p99_seconds') * 1000;
    s.loopMaxMs = metric(m.body, 'nodejs_eventloop_lag_max_seconds') * 1000;
    s.metricConnections = metric(m.body, 'tickstream_connections');
  } else s.metricsError = m.error ?? `HTTP ${m.status}`;
  s.loadLoopP99Ms = loopDelay.percentile(99) / 1e6;
  loopDelay.reset();
  if (Number.isFinite(s.rssMiB)) result.watchdog.peakRssMiB = Math.max(result.watchdog.peakRssMiB, s.rssMiB);
  result.samples.push(s);
  collectServerLogs();
  return s;
}

/** Counts the server's log lines (warn and above at --log-level warn) by message; keeps a few. */
function collectServerLogs() {
  const ev = proc.events.splice(0);
  for (const e of ev) {
    const key = `${e.level >= 50 ? 'ERROR ' : ''}${e.msg ?? '?'}`;
    result.server.logCounts[key] = (result.server.logCounts[key] ?? 0) + 1;
    if (result.server.logExamples.length < 20) result.server.logExamples.push(e);
  }
}

function stopTimers() {
  clearInterval(watchdogTimer);
  clearInterval(progressTimer);
  watchdogTimer = progressTimer = null;
}

async function stopObserver(timeoutMs = 5000) {
  if (!observer) return null;
  const w = observer;
  observer = null;
  const got = new Promise((res) => {
    w.on('message', (m) => { if (m?.type === 'result') res(m.result); });
    w.once('exit', () => res(null));
    w.once('error', () => res(null));
  });
  w.postMessage({ type: 'stop' });
  const r = await within(got, timeoutMs, null);
  await w.terminate();
  return r;
}

async function main() {
  const port = await freePort();
  const args = [cli, 'serve', '--host', '127.0.0.1', '--port', String(port), '--log-level', 'warn', '--log-format', 'json',
    '--feed', 'simulator', '--seed', '1', '--ticks-per-second', String(opts.ticksPerSecond), '--max-payload', String(opts.maxPayload),
    ...opts.serverArgs];
  const env = { ...process.env, NODE_ENV: 'production', NO_COLOR: '1' };
  proc = canPin ? spawnPinned(0, process.execPath, args, { cwd: rootDir, env }) : spawnUnpinned(process.execPath, args, { cwd: rootDir, env });
  proc.port = port;
  Object.assign(result.server, { pid: proc.pid, port, args: args.slice(1), pinned: canPin });
  proc.exited.then((e) => {
    if (result.server.shutdown === null && result.server.exitedDuringRun === null) {
      result.server.exitedDuringRun = `code ${e.code} signal ${e.signal}; stderr: ${proc.stderr.trim().slice(-600)}`;
      abort('the server exited');
    }
  });
  await waitForPort(port, proc, 20000);
  log(`server pid ${proc.pid} on 127.0.0.1:${port}${canPin ? ' (CPU 0; load on CPU 1)' : ''}`);

  const sy = await httpGet(port, '/api/symbols', 5000);
  if (sy.status !== 200) throw new Error(`GET /api/symbols: ${sy.error ?? sy.status}`);
  const symbols = JSON.parse(sy.body).map((x) => x.symbol);
  result.universe = symbols.length;

  // Baseline: the feed running for a while, no client.
  await sleep(2000);
  await sample('before');
  await sleep(Math.min(2000, opts.sampleEveryS * 1000));
  result.samples.length = 0;
  const base = await sample('before');
  result.baselineFdKinds = fdBreakdown(proc.pid)?.byKind ?? null;
  log(`baseline: RSS ${base.rssMiB.toFixed(1)} MiB, heap ${base.heapUsedMiB?.toFixed(1)} MiB, fds ${base.fds}`);

  // The well-behaved client, in its own thread, from its own source address when the system has it.
  const localAddress = opts.clientAddress && (await canBind(opts.clientAddress, port)) ? opts.clientAddress : undefined;
  if (opts.clientAddress && !localAddress) log(`cannot connect from ${opts.clientAddress}: the well-behaved client shares 127.0.0.1 with the attackers`);
  result.clientAddress = localAddress ?? '127.0.0.1';
  observer = new Worker(join(benchDir, 'lib/soak-observer.mjs'), {
    workerData: { port, symbols: symbols.slice(0, 5), probeEveryMs: opts.probeEveryS * 1000, welcomeTimeoutMs: 5000, localAddress },
  });
  observer.on('error', (err) => log(`observer failed: ${err.stack ?? err}`));
  await new Promise((res, rej) => {
    const t = setTimeout(() => rej(new Error('the well-behaved client got no quotes within 10 s before the load')), 10000);
    observer.on('message', (m) => { if (m?.type === 'first-quote') { clearTimeout(t); res(); } });
  });

  // The load.
  ctx = new LoadContext({ port, symbols });
  const loads = {
    churn: churn(ctx, { loops: opts.churnLoops }),
    slowReaders: slowReaders(ctx, { count: opts.slowReaders }),
    commandFlood: commandFlood(ctx, { count: opts.flooders }),
    pingFlood: pingFlood(ctx, { count: opts.pingFlooders }),
    hostile: hostile(ctx, { workers: opts.hostileLoops, stallers: opts.stallers, maxPayload: opts.maxPayload, stallWaitMs: opts.stallWaitMs }),
  };
  loadStartedAt = performance.now();
  const deadline = loadStartedAt + opts.durationS * 1000;
  const pendingLoads = new Set(Object.keys(loads));
  const running = Promise.all(Object.entries(loads).map(([k, l]) => l.run().finally(() => pendingLoads.delete(k))));
  log(`load started for ${opts.durationS} s`);

  const abortLimitMiB = base.rssMiB + opts.abortRssGrowthMiB;
  watchdogTimer = setInterval(() => {
    try {
      const rss = readRss(proc.pid) / MiB;
      result.watchdog.peakRssMiB = Math.max(result.watchdog.peakRssMiB, rss);
      if (rss > abortLimitMiB) abort(`server RSS ${rss.toFixed(0)} MiB passed the safety ceiling of ${abortLimitMiB.toFixed(0)} MiB (--abort-rss-growth ${opts.abortRssGrowthMiB})`);
    } catch { /* gone: proc.exited reports it */ }
  }, 250);
  progressTimer = setInterval(() => {
    const s = result.samples[result.samples.length - 1];
    const l = ctx.stopped ? null : loads;
    if (!s || !l) return;
    log(`${((performance.now() - loadStartedAt) / 1000).toFixed(0)} s: RSS ${s.rssMiB?.toFixed(0)} MiB, heap ${s.heapUsedMiB?.toFixed(0)} MiB, ` +
      `fds ${s.fds}, connections ${s.connections}, loop p99 ${s.loopP99Ms?.toFixed(0)} ms; churn ${l.churn.stats.cycles}, ` +
      `slow closed ${l.slowReaders.stats.closedByServer}, floods closed ${Object.values(l.commandFlood.stats.closes).reduce((a, b) => a + b, 0)}, ` +
      `hostile ${l.hostile.stats.attempts}`);
  }, 10000);

  let next = loadStartedAt;
  while (!result.watchdog.aborted) {
    next += opts.sampleEveryS * 1000;
    const wait = Math.min(next, deadline) - performance.now();
    if (wait > 0) await new Promise((res) => { const t = setTimeout(res, wait); abortWake = () => { clearTimeout(t); res(); }; });
    abortWake = null;
    if (result.watchdog.aborted || performance.now() >= deadline - 5) break;
    await sample('during');
  }
  if (!result.watchdog.aborted && result.server.exitedDuringRun === null) await sample('during');
  result.loadSeconds = (performance.now() - loadStartedAt) / 1000;
  stopTimers();

  log('stopping the load');
  ctx.stop();
  const loadStoppedAt = performance.now();
  const ended = await within(running.then(() => true), 15000, false);
  if (!ended) log(`load loops of ${[...pendingLoads].join(', ')} did not end within 15 s of stop (their sockets are destroyed anyway)`);
  const clientResult = await stopObserver();

  // Drain: the server should forget every connection and close its sockets. Wait (up to
  // --drain-timeout) for /healthz to say 0 connections and for the fds to come back within the
  // bound; how long each took is part of the result.
  // Then, for the record, how long the fds take to come back to the baseline (+2) itself, and
  // what the extra ones were when the connections reached 0.
  if (result.server.exitedDuringRun === null) {
    const d0 = loadStoppedAt;
    const fdLimit = base.fds + opts.maxFdGrowth;
    const drain = { waitedS: 0, connectionsLeft: null, zeroConnectionsAfterS: null, fdsAtZeroConnections: null,
      fdKindsAtZeroConnections: null, fdsSettledAfterS: null, fdsAtBaselineAfterS: null, baselineFdKinds: result.baselineFdKinds };
    while (performance.now() - d0 < opts.drainTimeoutS * 1000) {
      const hz = await httpGet(port, '/healthz', 2000);
      let fds = NaN;
      try { fds = countFds(proc.pid); } catch { /* gone */ }
      if (hz.status === 200) drain.connectionsLeft = JSON.parse(hz.body).clients;
      const now = (performance.now() - d0) / 1000;
      if (drain.connectionsLeft === 0 && drain.zeroConnectionsAfterS === null) {
        drain.zeroConnectionsAfterS = now;
        drain.fdsAtZeroConnections = fds;
        drain.fdKindsAtZeroConnections = fdBreakdown(proc.pid)?.byKind ?? null;
      }
      if (drain.zeroConnectionsAfterS !== null && fds <= fdLimit && drain.fdsSettledAfterS === null) drain.fdsSettledAfterS = now;
      if (drain.zeroConnectionsAfterS !== null && fds <= base.fds + 2) { drain.fdsAtBaselineAfterS = now; break; }
      await sleep(250);
    }
    drain.waitedS = (performance.now() - d0) / 1000;
    result.drain = drain;
    await sleep(1000);
    await sample('after');
  }

  result.client = summarizeClient(clientResult);
  result.attacks = Object.fromEntries(Object.entries(loads).map(([k, l]) => [k, l.stats]));
}

function summarizeClient(c) {
  if (!c) return { symbols: [], quotes: 0, quoteMessages: 0, latency: { n: 0 }, maxGapMs: Infinity, disconnects: [{ code: 0, reason: 'observer gave no result' }], welcome: { attempts: 0, ok: 0, dist: { n: 0 }, failures: {} } };
  const { latencyMs, welcome, ...rest } = c;
  return { ...rest, latency: dist(latencyMs), welcome: { attempts: welcome.attempts, ok: welcome.ok, failures: welcome.failures, dist: dist(welcome.ms) } };
}

/** Raw per-event arrays become distributions in the JSON (the file stays small). */
function compactAttacks(a) {
  if (!a) return a;
  const c = structuredClone(a);
  c.churn.cycleMs = dist(a.churn.cycleMs);
  for (const k of Object.values(c.hostile.byKind)) k.ms = dist(k.ms);
  return c;
}

let exitCode = 1;
try {
  await main();
} catch (err) {
  result.error = err.stack ?? String(err);
  log(`error: ${err.message}`);
} finally {
  stopTimers();
  ctx?.stop();
  const late = await stopObserver(2000);
  if (late && !result.client) result.client = summarizeClient(late);
  if (proc) {
    if (result.server.exitedDuringRun === null) {
      result.server.shutdown = 'pending';
      await proc.stop(8000, 'SIGTERM');
      const e = await proc.exited;
      result.server.shutdown = `code ${e.code} signal ${e.signal}`;
    }
    collectServerLogs();
  }
  loopDelay.disable();
}

result.finishedAt = new Date().toISOString();
if (result.attacks && result.client && result.samples.length > 0) {
  const rawAttacks = result.attacks;
  result.summary = summarizeSamples(result.samples);
  result.bounds = evaluate(result);
  if (result.error) result.bounds.push({ name: 'soak ran to completion', ok: false, detail: result.error.split('\n')[0] });
  result.ok = result.bounds.every((b) => b.ok);
  const table = renderTable(result);
  result.attacks = compactAttacks(rawAttacks);
  result.table = table;
  if (opts.json) console.error(table); else console.log(table);
} else {
  result.ok = false;
  result.bounds = [{ name: 'soak ran to completion', ok: false, detail: result.error?.split('\n')[0] ?? 'no result' }];
  console.error(`soak: FAIL — ${result.bounds[0].detail}`);
}
try { writeResult(); log(`result written to ${outFile}`); } catch (err) { log(`could not write ${outFile}: ${err.message}`); }
if (opts.json) process.stdout.write(JSON.stringify(result, null, 2) + '\n');
exitCode = result.ok ? 0 : 1;
process.exitCode = exitCode;
// Everything above is stopped and closed; should a handle still hold the loop, say so and go.
setTimeout(() => {
  log(`still running 5 s after the end; open handles: ${process.getActiveResourcesInfo().join(', ')}`);
  if (process.env.SOAK_DEBUG) for (const h of process._getActiveHandles()) console.error(h);
  process.exit(exitCode);
}, 5000).unref();
