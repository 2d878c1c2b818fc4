// M5: the real service (`tickstream serve`) against the same service written the
// usual way with `ws` (bench/servers/ws-quote-service.mjs). Both run the market
// simulator in-process with identical flags; 1,000 clients each subscribe to their
// own 50-symbol watchlist through the upgrade URL (?symbols=...&interval=...).
import net from 'node:net';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { spawnPinned, readRss, readCpuSeconds, sleep } from './proc.mjs';

/** How long the generator waits for every handshake before measuring the clients already open. */
export const CONNECT_WAIT_S = 30;

export function freePort() {
  return new Promise((res, rej) => {
    const s = net.createServer();
    s.on('error', rej);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => res(port)); });
  });
}

export async function waitForPort(port, proc, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; i < 500 && Date.now() < deadline; i++) {
    const ok = await new Promise((res) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => { s.destroy(); res(true); });
      s.once('error', () => res(false));
    });
    if (ok) return;
    await Promise.race([sleep(50), proc.exited]);
    if (proc.child.exitCode !== null) throw new Error(`service exited: ${proc.stderr.slice(-800)}`);
  }
  throw new Error(`service did not listen on ${port} within ${timeoutMs} ms: ${proc.stderr.slice(-800)}`);
}

/** Deterministic watchlists: client i gets `perClient` distinct symbols drawn with a seeded LCG. */
export function watchlists(symbols, clients, perClient) {
  let state = 12345;
  const next = () => { state = (Math.imul(state, 1103515245) + 12345) >>> 0; return state; };
  const lists = [];
  for (let i = 0; i < clients; i++) {
    const chosen = new Set();
    for (let guard = 0; chosen.size < perClient && guard < perClient * 100; guard++) chosen.add(symbols[next() % symbols.length]);
    lists.push([...chosen]);
  }
  return lists;
}

export async function runM5({ runner, cfg, rootDir, benchDir, distRoot, measure, log, servers }) {
  const cli = join(distRoot, 'src/app/cli.js');
  const market = join(distRoot, 'src/market/index.js');
  if (!existsSync(market)) { log('M5 skipped: dist/src/market not built'); return []; }
  const kinds = [];
  const want = (names) => !servers || names.some((n) => servers.includes(n));
  if (want(['ws', 'ws-service'])) kinds.push('ws-service');
  if (want(['uws', 'uws-service'])) kinds.push('uws-service');
  if (want(['tickstream', 'tickstream-service'])) {
    if (existsSync(cli)) kinds.push('tickstream-service', 'tickstream-workers-2');
    else log('M5: tickstream-service skipped: dist/src/app/cli.js not built');
  }
  if (kinds.length === 0) return [];

  const { buildUniverse } = await import(pathToFileURL(market).href);
  const symbols = buildUniverse(cfg.symbols).map((s) => s.symbol);
  const lists = watchlists(symbols, cfg.clients, cfg.perClient);
  mkdirSync(join(benchDir, '.build'), { recursive: true });

  async function once(kind, interval, load = cfg, loadLists = lists) {
    const pathsFile = join(benchDir, '.build', `m5-paths-${interval}-${load.symbols}.txt`);
    writeFileSync(pathsFile, loadLists.map((l) => `/?symbols=${l.join(',')}&interval=${interval}`).join('\n') + '\n');
    const port = await freePort();
    const flags = ['--port', port, '--host', '127.0.0.1', '--symbols', load.symbols, '--ticks-per-second', load.ticksPerSecond,
      '--seed', 1, '--interval', interval, '--log-level', 'warn'].map(String);
    // --workers 2: the primary runs the feed, two workers serve; same core budget (CPU 0) as the others.
    const workers = kind === 'tickstream-workers-2';
    const args = kind === 'ws-service' || kind === 'uws-service'
      ? [join(benchDir, `servers/${kind === 'ws-service' ? 'ws' : 'uws'}-quote-service.mjs`), ...flags]
      : [cli, 'serve', ...flags, ...(workers ? ['--workers', '2', '--log-level', 'info', '--log-format', 'json'] : [])];
    const proc = spawnPinned(0, process.execPath, args, { cwd: rootDir, env: { ...process.env, NODE_ENV: 'production' } });
    const pids = () => [proc.pid, ...childPids(proc.pid)];
    let lg;
    try {
      if (workers) await proc.waitFor((e) => e.msg === 'cluster listening', 20000, 'cluster listening');
      else await waitForPort(port, proc, 20000);
      return await measureService({ runner, port, pathsFile, cfg: load, measureS: interval > 0 ? Math.max(load.measure, 5) : load.measure,
        cpuSeconds: () => sumOver(pids(), readCpuSeconds), rssBytes: () => sumOver(pids(), readRss), log, label: `M5 ${kind}`, started: (l) => (lg = l) });
    } finally {
      if (lg) await lg.stop();
      await proc.stop(3000, 'SIGTERM');
    }
  }

  const out = [];
  const perTick = await measure('M5-tick', kinds, (k) => once(k, 0));
  out.push([`M5 real service, every tick: ${cfg.ticksPerSecond} ticks/s over ${cfg.symbols} symbols, ${cfg.clients} clients × ${cfg.perClient} symbols (higher is better; latency = quote ts → receipt, ms resolution, includes the simulator's batching)`, perTick]);
  const perSecond = await measure('M5-1s', kinds, (k) => once(k, 1000));
  out.push([`M5 real service, 1 s interval: same load, each client gets one conflated batch per second (look at server CPU)`, perSecond]);
  if (cfg.saturating) {
    // Every service CPU-bound: more symbols and ticks than one core can deliver to every client.
    const sat = cfg.saturating;
    const satLists = watchlists(buildUniverse(sat.symbols).map((s) => s.symbol), sat.clients, sat.perClient);
    const saturated = await measure('M5-sat', kinds.filter((k) => k !== 'tickstream-workers-2'), (k) => once(k, 0, sat, satLists));
    out.push([`M5 saturating, every tick: ${sat.ticksPerSecond} ticks/s over ${sat.symbols} symbols, ${sat.clients} clients × ${sat.perClient} symbols, server on one core (quotes/s delivered: higher is better)`, saturated]);
  }
  return out;
}

/** The pids of a process's children (the cluster workers of a primary). */
export function childPids(pid) {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** A /proc reading summed over processes (one that has just exited counts 0). */
export function sumOver(pids, read) {
  let sum = 0;
  for (const pid of pids) {
    try {
      sum += read(pid);
    } catch { /* gone */ }
  }
  return sum;
}

/**
 * Runs the C load generator against a service on `port` (every client on its line of `pathsFile`)
 * and returns the figures of the measurement window; `cpuSeconds` / `rssBytes` read the service's
 * processes (one, or all of a multi-process topology). `started` receives the load generator at
 * once, so the caller's finally block can stop it whatever happens.
 */
export async function measureService({ runner, port, pathsFile, cfg, measureS, cpuSeconds, rssBytes, log, label, started }) {
  const timeout = cfg.warmup + measureS + 60;
  const lg = runner.loadgen(['recv', '--port', port, '--paths-file', pathsFile, '--connections', cfg.clients, '--concurrency', 100,
    '--warmup', cfg.warmup, '--measure', measureS, '--timeout', timeout,
    '--ts-key', 'ts', '--ts-epoch-ms', '--count-key', 'symbol', '--connect-wait', CONNECT_WAIT_S]);
  started?.(lg);
  const conn = await lg.waitFor((e) => e.event === 'connected', (CONNECT_WAIT_S + 30) * 1000, 'connected');
  if (conn.failed > 0) throw new Error(`${conn.failed} connections failed`);
  // The service streams from the first subscription on; one that saturates starves its own
  // handshakes. It is then measured on the clients it accepted, and the shortfall is logged.
  if (conn.pending > 0) log(`${label}: only ${conn.open}/${cfg.clients} clients connected after ${CONNECT_WAIT_S} s; measuring those`);
  const cpu0 = cpuSeconds();
  const t0 = performance.now();
  const res = await lg.waitFor((e) => e.event === 'result', timeout * 1000 + 5000, 'result');
  const serverCpuPct = (100 * (cpuSeconds() - cpu0)) / ((performance.now() - t0) / 1000);
  const rss = rssBytes();
  if (res.error) throw new Error(`load generator: ${res.error}`);
  return {
    deliveriesPerSec: res.msgs_per_s,
    quotesPerSec: res.items_per_s,
    bytesPerSec: res.bytes / Math.max(res.window_s, 1e-9),
    latencyUs: res.latency_us,
    serverCpuPct,
    serverRssBytes: rss,
    genCpuPct: res.window_cpu_pct ?? res.cpu_pct,
    clientsConnected: conn.open,
  };
}
