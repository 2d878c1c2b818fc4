// M7: one market served by several processes, against the plain in-process service, same run.
//   in-process  `tickstream serve` (feed, hub and clients in one process)
//   redis       `tickstream ingest` → redis-server → `tickstream serve --broker` (one edge)
//   workers-2   `tickstream serve --workers 2` (the primary runs the feed, two workers serve)
// Every server-side process is pinned to CPU 0 and the load generator to CPU 1, so the figures say
// what the extra hop costs on the same core budget; server CPU is the sum over those processes.
// Latency is quote ts (stamped by the simulator, in the ingest for redis) → receipt by the client:
// it includes the simulator's 50 ms batching, the same for every topology, so compare differences.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { readCpuSeconds, readRss, spawnPinned, sleep } from './proc.mjs';
import { childPids, freePort, measureService, sumOver, waitForPort, watchlists } from './service.mjs';

export const TOPOLOGIES = ['in-process', 'redis', 'workers-2'];

const cpuOf = (pids) => sumOver(pids, readCpuSeconds);
const rssOf = (pids) => sumOver(pids, readRss);

/** Waits for a JSON log line of a spawned tickstream process (they log JSON to stdout). */
function waitForLog(proc, msg, timeoutMs) {
  return proc.waitFor((e) => e.msg === msg, timeoutMs, `"${msg}" log line`);
}

export async function runM7({ runner, cfg, rootDir, benchDir, distRoot, measure, log }) {
  const cli = join(distRoot, 'src/app/cli.js');
  if (!existsSync(cli)) { log('M7 skipped: dist/src/app/cli.js not built'); return []; }
  if (!existsSync('/usr/bin/redis-server')) { log('M7 skipped: redis-server not installed (apt-get install redis-server)'); return []; }
  const { buildUniverse } = await import(pathToFileURL(join(distRoot, 'src/market/index.js')).href);
  const lists = watchlists(buildUniverse(cfg.symbols).map((s) => s.symbol), cfg.clients, cfg.perClient);
  mkdirSync(join(benchDir, '.build'), { recursive: true });
  const pathsFile = join(benchDir, '.build', 'm7-paths.txt');
  writeFileSync(pathsFile, lists.map((l) => `/?symbols=${l.join(',')}&interval=0`).join('\n') + '\n');
  const env = { ...process.env, NODE_ENV: 'production' };
  const market = ['--symbols', cfg.symbols, '--ticks-per-second', cfg.ticksPerSecond, '--seed', 1].map(String);
  const quiet = ['--log-level', 'info', '--log-format', 'json'];

  async function once(topology) {
    const procs = [];
    const dir = mkdtempSync(join(tmpdir(), 'tickstream-m7-'));
    let lg;
    try {
      const port = await freePort();
      const serve = ['serve', '--port', String(port), '--host', '127.0.0.1', '--interval', '0', ...quiet];
      if (topology === 'redis') {
        const redisPort = await freePort();
        const redis = spawnPinned(0, '/usr/bin/redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir]);
        procs.push(redis);
        await waitForPort(redisPort, redis, 10000);
        const broker = ['--broker', `redis://127.0.0.1:${redisPort}`];
        const ingest = spawnPinned(0, process.execPath, [cli, 'ingest', ...broker, '--metrics-port', '0', '--host', '127.0.0.1', ...market, ...quiet], { cwd: rootDir, env });
        procs.push(ingest);
        await waitForLog(ingest, 'ingest running', 20000);
        const edge = spawnPinned(0, process.execPath, [cli, ...serve, ...broker], { cwd: rootDir, env });
        procs.push(edge);
        await waitForPort(port, edge, 20000);
        await waitForReady(port);
      } else {
        const workers = topology === 'workers-2' ? ['--workers', '2'] : [];
        const server = spawnPinned(0, process.execPath, [cli, ...serve, ...market, ...workers], { cwd: rootDir, env });
        procs.push(server);
        if (topology === 'workers-2') await waitForLog(server, 'cluster listening', 20000);
        else await waitForPort(port, server, 20000);
      }
      const pids = () => procs.flatMap((p) => [p.pid, ...childPids(p.pid)]);
      return await measureService({ runner, port, pathsFile, cfg, measureS: cfg.measure, cpuSeconds: () => cpuOf(pids()),
        rssBytes: () => rssOf(pids()), log, label: `M7 ${topology}`, started: (l) => (lg = l) });
    } finally {
      if (lg) await lg.stop();
      for (const p of procs.reverse()) await p.stop(3000, 'SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    }
  }

  const per = await measure('M7', TOPOLOGIES, once);
  return [[`M7 one market, several processes: ${cfg.ticksPerSecond} ticks/s over ${cfg.symbols} symbols, ${cfg.clients} clients × ${cfg.perClient} symbols, every tick; all server processes on CPU 0 (latency = quote ts → receipt incl. 50 ms simulator batching: compare differences)`, per]];
}

async function waitForReady(port) {
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200) return;
    } catch { /* not listening yet */ }
    await sleep(50);
  }
  throw new Error('edge never became ready');
}
