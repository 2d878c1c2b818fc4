#!/usr/bin/env node
// `npm run bench` entry point. Runs the scenarios of BENCHMARKS.md against each
// server implementation, prints markdown tables (median of runs, min–max, ratio to
// ws) and writes everything as JSON to bench/results/<timestamp>.json.
//
//   node bench/run.mjs [--quick] [--only M1,M3] [--servers ws,tickstream] [--runs N]
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import { makeRunner } from './lib/scenarios.mjs';
import { runM5 } from './lib/service.mjs';
import { runM7 } from './lib/scaling.mjs';
import { summarize, fmtNum } from './lib/stats.mjs';

const benchDir = dirname(fileURLToPath(import.meta.url));
const rootDir = resolve(benchDir, '..');
// TICKSTREAM_DIST: use a private build (e.g. tsc --outDir /tmp/x) instead of dist/.
const distRoot = process.env.TICKSTREAM_DIST ? resolve(process.env.TICKSTREAM_DIST) : join(rootDir, 'dist');

function parseArgs(argv) {
  const o = { quick: false, only: null, servers: null, runs: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') o.quick = true;
    else if (a === '--only') o.only = argv[++i].split(',').map((s) => s.trim().toUpperCase());
    else if (a === '--servers') o.servers = argv[++i].split(',').map((s) => s.trim());
    else if (a === '--runs') o.runs = Number(argv[++i]);
    else if (a === '--help' || a === '-h') {
      console.log('usage: node bench/run.mjs [--quick] [--only M1,M2,...] [--servers ws,uws,raw,tickstream] [--runs N]');
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  return o;
}
const opts = parseArgs(process.argv.slice(2));
const log = (...a) => console.error('[bench]', ...a);

// ---------- configuration ----------
const Q = opts.quick;
const runs = opts.runs ?? (Q ? 1 : 3);
const cfg = {
  // M1: one broadcast per event-loop turn, so every server writes one frame per socket per message.
  M1: { clients: Q ? 200 : 1000, size: 120, mode: 'saturate', burst: 1, warmup: Q ? 0.3 : 1, measure: Q ? 1.5 : 5 },
  // M1c: 16 broadcasts due in the same turn (the real service's situation): coalescing writes pays here.
  M1C: { clients: Q ? 200 : 1000, size: 120, mode: 'saturate', burst: 16, warmup: Q ? 0.3 : 1, measure: Q ? 1.5 : 5 },
  M2: { clients: Q ? 200 : 1000, size: 120, mode: 'rate', rate: 100, warmup: Q ? 0.3 : 1, measure: Q ? 2 : 5 },
  M3: { clients: Q ? 2000 : 10000, concurrency: 100 },
  M4: { clients: Q ? 2000 : 10000, concurrency: 100, warmup: Q ? 2000 : 10000 },
  M5: {
    clients: Q ? 200 : 1000, symbols: 500, perClient: 50, ticksPerSecond: 10000, warmup: Q ? 0.5 : 1, measure: Q ? 2 : 5,
    saturating: { clients: Q ? 200 : 1000, symbols: 2000, perClient: 50, ticksPerSecond: 50000, warmup: Q ? 0.5 : 2, measure: Q ? 2 : 5 },
  },
  // ~100,000 quotes/s delivered (each tick reaches ~100 of the clients): the latency point.
  M7: { clients: Q ? 200 : 1000, symbols: 500, perClient: 50, ticksPerSecond: 1000, warmup: Q ? 0.5 : 1, measure: Q ? 2 : 5 },
  // ~1.2 KB quote batches: large enough that every server's deflate actually compresses
  // (ws skips messages under 1 KB by default).
  M6: { clients: Q ? 200 : 1000, size: 1200, mode: 'saturate', deflate: true, warmup: Q ? 0.3 : 1, measure: Q ? 1.5 : 5 },
};
const TRANSPORT_SERVERS = ['ws', 'uws', 'raw', 'tickstream'];
const serverScripts = { ws: 'servers/ws.mjs', uws: 'servers/uws.mjs', raw: 'servers/raw.mjs', tickstream: 'servers/tickstream.mjs' };

// ---------- load generator build ----------
function buildLoadgen() {
  const src = join(benchDir, 'loadgen.c');
  const out = join(benchDir, '.build', 'loadgen');
  if (!existsSync(out) || statSync(out).mtimeMs < statSync(src).mtimeMs) {
    mkdirSync(dirname(out), { recursive: true });
    log('compiling loadgen.c with gcc -O2');
    execFileSync('gcc', ['-O2', '-Wall', '-o', out, src, '-lz'], { stdio: 'inherit' });
  }
  return out;
}

function available(name) {
  if (name === 'tickstream') return existsSync(join(distRoot, 'src/transport/index.js'));
  return true;
}

const loadgenPath = buildLoadgen();
const runner = makeRunner({
  benchDir,
  loadgenPath,
  serverCommand: (name, o) => ({
    cmd: process.execPath,
    args: ['--expose-gc', serverScripts[name], ...(o.deflate ? ['--deflate'] : [])],
  }),
});

for (const s of opts.servers ?? []) {
  if (!serverScripts[s] && s !== 'tickstream-service' && s !== 'ws-service' && s !== 'uws-service') throw new Error(`unknown server ${s}`);
}
// M1-M4/M6 compare transports; M5 maps ws -> ws-service and tickstream -> tickstream-service.
const selectedServers = (opts.servers ?? TRANSPORT_SERVERS).filter((s) => {
  if (!serverScripts[s]) return false;
  if (!available(s)) { log(`skipping ${s}: ${distRoot}/src/transport/index.js not built`); return false; }
  return true;
});
const wants = (m) => !opts.only || opts.only.includes(m);

// ---------- running ----------
const results = {
  startedAt: new Date().toISOString(),
  machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version, loadavg: os.loadavg() },
  options: { quick: Q, runs, only: opts.only, servers: selectedServers },
  config: cfg,
  scenarios: {},
};

/** Runs fn(server) `runs` times per server, interleaving servers so that noise spreads evenly. */
async function measure(id, servers, fn) {
  const per = Object.fromEntries(servers.map((s) => [s, { runs: [], errors: [] }]));
  for (let r = 0; r < runs; r++) {
    for (const s of servers) {
      log(`${id} ${s} run ${r + 1}/${runs}`);
      try {
        per[s].runs.push(await fn(s));
      } catch (err) {
        log(`${id} ${s} failed: ${err.message}`);
        per[s].errors.push(err.message);
      }
    }
  }
  results.scenarios[id] = per;
  return per;
}

/** The most telling line of an error (full text is in the JSON), safe inside a table cell. */
function oneLine(message = '?') {
  const lines = message.split('\n').map((l) => l.trim()).filter(Boolean);
  const line = lines.find((l) => /^\w*Error\b/.test(l)) ?? lines[0] ?? '?';
  return line.replace(/\|/g, '/').slice(0, 160);
}

const stat = (per, s, pick) => summarize(per[s].runs.map(pick));

function table(title, per, columns, ratioOf, higherIsBetter = true, baseline = 'ws') {
  const servers = Object.keys(per);
  const wsMedian = per[baseline] ? stat(per, baseline, ratioOf)?.median : undefined;
  const head = ['server', ...columns.map((c) => c.label), `vs ${baseline}`];
  const lines = [`### ${title}`, '', `| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const s of servers) {
    if (per[s].runs.length === 0) { lines.push(`| ${s} | failed: ${oneLine(per[s].errors[0])} |`); continue; }
    const cells = columns.map((c) => {
      const st = stat(per, s, c.pick);
      if (!st) return '–';
      const range = st.n > 1 ? ` (${fmtNum(st.min, c.digits)}–${fmtNum(st.max, c.digits)})` : '';
      return fmtNum(st.median, c.digits) + range;
    });
    const m = stat(per, s, ratioOf)?.median;
    let ratio = '–';
    if (wsMedian && m) ratio = (higherIsBetter ? m / wsMedian : wsMedian / m).toFixed(2) + '×';
    lines.push(`| ${s} | ${cells.join(' | ')} | ${ratio} |`);
  }
  lines.push('');
  const out = lines.join('\n');
  console.log(out);
  return out;
}

const tables = [];
// Latency at saturation only measures queue depth (kernel + userland buffers); it is kept
// in the JSON but the tables show it where it means something (M2, M5).
const broadcastColumns = [
  { label: 'deliveries/s', pick: (r) => r.deliveriesPerSec },
  { label: 'server CPU %', pick: (r) => r.serverCpuPct },
  { label: 'server RSS MiB', pick: (r) => r.serverRssBytes / 1048576, digits: 1 },
  { label: 'gen CPU %', pick: (r) => r.genCpuPct },
];

try {
  if (wants('M1')) {
    const per = await measure('M1', selectedServers, (s) => runner.broadcast(s, cfg.M1));
    tables.push(table(`M1 fan-out saturation, one frame per socket per message: ${cfg.M1.clients} clients, ${cfg.M1.size}-byte messages (higher is better)`,
      per, broadcastColumns, (r) => r.deliveriesPerSec));
  }
  if (wants('M1C')) {
    const per = await measure('M1C', selectedServers, (s) => runner.broadcast(s, cfg.M1C));
    tables.push(table(`M1c fan-out, ${cfg.M1C.burst} messages due per socket per turn: ${cfg.M1C.clients} clients, ${cfg.M1C.size}-byte messages (higher is better)`,
      per, broadcastColumns, (r) => r.deliveriesPerSec));
  }
  if (wants('M2')) {
    const per = await measure('M2', selectedServers, (s) => runner.broadcast(s, cfg.M2));
    tables.push(table(`M2 latency under load: ${cfg.M2.clients} clients × ${cfg.M2.rate} broadcasts/s = ${cfg.M2.clients * cfg.M2.rate} deliveries/s offered (ratio on p99, lower is better)`,
      per, [
        { label: 'delivered/s', pick: (r) => r.deliveriesPerSec },
        { label: 'p50 µs', pick: (r) => r.latencyUs.p50 },
        { label: 'p99 µs', pick: (r) => r.latencyUs.p99 },
        { label: 'max µs', pick: (r) => r.latencyUs.max },
        { label: 'server CPU %', pick: (r) => r.serverCpuPct },
        { label: 'gen CPU %', pick: (r) => r.genCpuPct },
      ], (r) => r.latencyUs.p99, false));
  }
  if (wants('M3')) {
    const per = await measure('M3', selectedServers, (s) => runner.idleMemory(s, cfg.M3));
    tables.push(table(`M3 memory per idle connection: ${cfg.M3.clients} clients (lower is better)`, per, [
      { label: 'RSS KiB/conn', pick: (r) => r.kibPerConn, digits: 2 },
      { label: 'JS heap KiB/conn', pick: (r) => r.heapKibPerConn, digits: 2 },
      { label: 'RSS after MiB', pick: (r) => r.rssAfterBytes / 1048576, digits: 1 },
    ], (r) => r.kibPerConn, false));
  }
  if (wants('M4')) {
    const per = await measure('M4', selectedServers, (s) => runner.handshakeRate(s, cfg.M4));
    tables.push(table(`M4 handshake rate: ${cfg.M4.clients} connections, ${cfg.M4.concurrency} in flight (higher is better)`, per, [
      { label: 'conn/s', pick: (r) => r.connPerSec },
      { label: 'server CPU %', pick: (r) => r.serverCpuPct },
      { label: 'gen CPU %', pick: (r) => r.genCpuPct },
    ], (r) => r.connPerSec));
  }
  if (wants('M5')) {
    const m5 = await runM5({ runner, cfg: cfg.M5, rootDir, benchDir, distRoot, measure, log, servers: opts.servers });
    for (const [title, per] of m5) {
      tables.push(table(title, per, [
        { label: 'messages/s', pick: (r) => r.deliveriesPerSec },
        { label: 'quotes/s', pick: (r) => r.quotesPerSec },
        { label: 'MB/s', pick: (r) => r.bytesPerSec / 1e6, digits: 1 },
        { label: 'p50 µs', pick: (r) => r.latencyUs.p50 },
        { label: 'p99 µs', pick: (r) => r.latencyUs.p99 },
        { label: 'server CPU %', pick: (r) => r.serverCpuPct },
        { label: 'server RSS MiB', pick: (r) => r.serverRssBytes / 1048576, digits: 1 },
        { label: 'gen CPU %', pick: (r) => r.genCpuPct },
      ], (r) => r.quotesPerSec, true, 'ws-service'));
    }
  }
  if (wants('M7')) {
    for (const [title, per] of await runM7({ runner, cfg: cfg.M7, rootDir, benchDir, distRoot, measure, log })) {
      tables.push(table(title, per, [
        { label: 'quotes/s', pick: (r) => r.quotesPerSec },
        { label: 'p50 µs', pick: (r) => r.latencyUs.p50 },
        { label: 'p99 µs', pick: (r) => r.latencyUs.p99 },
        { label: 'server CPU % (all processes)', pick: (r) => r.serverCpuPct },
        { label: 'server RSS MiB (all)', pick: (r) => r.serverRssBytes / 1048576, digits: 1 },
        { label: 'gen CPU %', pick: (r) => r.genCpuPct },
      ], (r) => r.quotesPerSec, true, 'in-process'));
    }
  }
  if (wants('M6')) {
    const per = await measure('M6', selectedServers, (s) => runner.broadcast(s, cfg.M6));
    tables.push(table(`M6 permessage-deflate broadcast: ${cfg.M6.clients} clients, ${cfg.M6.size}-byte messages (higher is better)`,
      per, [...broadcastColumns, { label: 'compressed %', pick: (r) => (100 * r.compressed) / Math.max(1, r.messages) }],
      (r) => r.deliveriesPerSec));
  }
} finally {
  results.finishedAt = new Date().toISOString();
  results.tables = tables;
  const dir = join(benchDir, 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${results.startedAt.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify(results, null, 2));
  log(`results written to ${file}`);
}
