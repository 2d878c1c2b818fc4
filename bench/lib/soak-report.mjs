// The soak's verdict and its printout: figures before / during (min, median, max) / after, the
// well-behaved client's latency, what each attack saw, and the bounds with their pass / fail.
import { summarize } from './stats.mjs';

export function percentile(values, p) {
  if (!values || values.length === 0) return null;
  const v = Float64Array.from(values).sort();
  return v[Math.min(v.length - 1, Math.max(0, Math.ceil((p / 100) * v.length) - 1))];
}

export function dist(values) {
  if (!values || values.length === 0) return { n: 0 };
  return { n: values.length, p50: percentile(values, 50), p99: percentile(values, 99), max: percentile(values, 100) };
}

const MiB = 1048576;

/** The rows of the sample table: label, how to read a sample, digits. */
export const SAMPLE_ROWS = [
  { key: 'rssMiB', label: 'server RSS MiB', digits: 1 },
  { key: 'heapUsedMiB', label: 'JS heap used MiB', digits: 1 },
  { key: 'externalMiB', label: 'external+buffers MiB', digits: 1 },
  { key: 'fds', label: 'open fds', digits: 0 },
  { key: 'connections', label: 'connections (/healthz)', digits: 0 },
  { key: 'loopP99Ms', label: 'server loop delay p99 ms', digits: 1 },
  { key: 'loopMaxMs', label: 'server loop delay max ms', digits: 1 },
  { key: 'healthzMs', label: '/healthz answer ms', digits: 1 },
  { key: 'cpuPct', label: 'server CPU %', digits: 0 },
  { key: 'otherCpuPct', label: 'others\' CPU % (server CPU)', digits: 0 },
  { key: 'loadLoopP99Ms', label: 'load-side loop p99 ms', digits: 1 },
];

export function summarizeSamples(samples) {
  const before = samples.find((s) => s.phase === 'before') ?? null;
  const after = [...samples].reverse().find((s) => s.phase === 'after') ?? null;
  const during = samples.filter((s) => s.phase === 'during');
  const out = { before, after, during: {} };
  for (const row of SAMPLE_ROWS) out.during[row.key] = summarize(during.map((s) => s[row.key]));
  return out;
}

const fmt = (x, digits = 0) => (x === null || x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(digits));
const fmtInt = (x) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : '–');
const pad = (s, n) => String(s).padStart(n);
const padEnd = (s, n) => String(s).padEnd(n);

function outcomes(obj) {
  const e = Object.entries(obj ?? {}).sort((a, b) => b[1] - a[1]);
  return e.length === 0 ? 'none' : e.map(([k, n]) => `${k} ×${fmtInt(n)}`).join('; ');
}

/**
 * Evaluates the bounds; each is { name, ok, detail }. `r` is the whole result document.
 */
export function evaluate(r) {
  const o = r.options;
  const b = [];
  const base = r.summary.before;
  const peakRssMiB = Math.max(r.watchdog.peakRssMiB ?? 0, ...r.samples.map((s) => s.rssMiB ?? 0));
  const alive = r.server.exitedDuringRun === null;
  b.push({ name: 'server alive', ok: alive, detail: alive ? 'the server process ran to the end' : `the server exited during the run: ${r.server.exitedDuringRun}` });

  const hz = r.samples;
  const slow = hz.filter((s) => !(s.healthzOk && s.healthzMs <= o.maxHealthzMs));
  const maxHz = Math.max(...hz.map((s) => s.healthzMs ?? Infinity));
  b.push({ name: `/healthz within ${o.maxHealthzMs} ms`, ok: slow.length === 0 && hz.length > 0,
    detail: slow.length === 0 ? `${hz.length}/${hz.length} probes answered 200, slowest ${fmt(maxHz, 1)} ms`
      : `${slow.length}/${hz.length} probes failed or were slow (${slow.slice(0, 3).map((s) => `t=${fmt(s.t, 0)} s: ${s.healthzError ?? fmt(s.healthzMs, 0) + ' ms'}`).join(', ')})` });

  if (base) {
    const limit = base.rssMiB + o.maxRssGrowthMiB;
    b.push({ name: `RSS ≤ baseline + ${o.maxRssGrowthMiB} MiB`, ok: peakRssMiB <= limit,
      detail: `peak ${fmt(peakRssMiB, 1)} MiB, baseline ${fmt(base.rssMiB, 1)} MiB, limit ${fmt(limit, 1)} MiB` +
        (peakRssMiB > limit ? ` — over by ${fmt(peakRssMiB - limit, 1)} MiB` : '') + (r.watchdog.aborted ? ` (load stopped early at ${fmt(r.watchdog.abortedAtS, 1)} s: ${r.watchdog.aborted})` : '') });
    const after = r.summary.after;
    const fdLimit = base.fds + o.maxFdGrowth;
    b.push({ name: `fds after drain ≤ baseline + ${o.maxFdGrowth}`, ok: after !== null && after.fds <= fdLimit,
      detail: after === null ? 'no after-drain sample (server gone?)'
        : `after ${after.fds}, baseline ${base.fds}, limit ${fdLimit}` + (after.fds > fdLimit ? ` — over by ${after.fds - fdLimit}` : '') +
          (r.drain.connectionsLeft > 0 ? `; ${r.drain.connectionsLeft} connections still open after ${o.drainTimeoutS} s` : '') +
          (r.drain.fdsSettledAfterS > 2 ? `; the fds took ${fmt(r.drain.fdsSettledAfterS, 1)} s to come back` : '') });
  } else {
    b.push({ name: 'baseline sample', ok: false, detail: 'no baseline sample' });
  }

  const c = r.client;
  const lat = c.latency;
  b.push({ name: `well-behaved p99 latency < ${o.maxP99Ms} ms`, ok: lat.n > 0 && lat.p99 < o.maxP99Ms,
    detail: lat.n === 0 ? 'no quotes received' : `p50 ${fmt(lat.p50)} ms, p99 ${fmt(lat.p99)} ms, max ${fmt(lat.max)} ms over ${fmtInt(lat.n)} quotes` +
      (lat.p99 >= o.maxP99Ms ? ` — over by ${fmt(lat.p99 - o.maxP99Ms)} ms` : '') });
  b.push({ name: `well-behaved client fed throughout (gap ≤ ${o.maxQuoteGapMs} ms, never disconnected)`,
    ok: c.quotes > 0 && c.maxGapMs <= o.maxQuoteGapMs && c.disconnects.length === 0,
    detail: `longest gap between quote messages ${fmtInt(c.maxGapMs)} ms, disconnects ${c.disconnects.length}` +
      (c.disconnects.length ? ` (${c.disconnects.slice(0, 3).map((d) => `${d.code} ${d.reason}`.trim()).join(', ')})` : '') });
  const w = c.welcome;
  b.push({ name: `welcome p99 < ${o.maxWelcomeP99Ms} ms, no failed probe`, ok: w.ok > 0 && w.dist.p99 < o.maxWelcomeP99Ms && w.ok === w.attempts,
    detail: `${w.ok}/${w.attempts} probes welcomed, p50 ${fmt(w.dist.p50, 1)} ms, p99 ${fmt(w.dist.p99, 1)} ms, max ${fmt(w.dist.max, 1)} ms` +
      (w.ok < w.attempts ? `; failures: ${outcomes(w.failures)}` : '') });

  const a = r.attacks;
  // Loads switched off (0 loops, or --only) are not expected to run.
  const ran = {};
  if (a.churn.loops > 0) ran.churn = a.churn.cycles;
  if (a.slowReaders.loops > 0) ran['slow readers'] = a.slowReaders.connections;
  if (a.commandFlood.loops > 0) ran['command flood'] = a.commandFlood.commandsSent;
  if (a.pingFlood.loops > 0) ran['ping flood'] = a.pingFlood.pingsSent;
  for (const [k, v] of Object.entries(a.hostile.byKind)) {
    if (k === 'stalled-frame' ? o.stallers > 0 : o.hostileLoops > 0) ran[`hostile ${k}`] = v.attempts;
  }
  const idle = Object.entries(ran).filter(([, n]) => !(n > 0)).map(([k]) => k);
  const n = Object.keys(ran).length;
  b.push({ name: 'every attack ran', ok: idle.length === 0 && n > 0,
    detail: n === 0 ? 'every load was switched off' : idle.length === 0 ? `all ${n} nonzero` : `no activity: ${idle.join(', ')}` });
  return b;
}

export function renderTable(r) {
  const o = r.options;
  const L = [];
  const sum = r.summary;
  L.push(`tickstream soak — ${o.durationS} s of load${r.watchdog.aborted ? ` (stopped at ${fmt(r.watchdog.abortedAtS, 1)} s: ${r.watchdog.aborted})` : ''}; ` +
    `server pid ${r.server.pid} ${r.server.pinned ? 'on CPU 0' : '(not pinned)'}, load ${r.loadPinned ? 'on CPU 1' : '(not pinned)'}; ` +
    `simulator ${o.ticksPerSecond} ticks/s over ${r.universe} symbols; ${r.samples.filter((s) => s.phase === 'during').length} samples every ${o.sampleEveryS} s`);
  const noisy = sum.during.otherCpuPct?.median;
  if (noisy > 10) {
    L.push(`note: other processes used a median ${fmt(noisy)} % (max ${fmt(sum.during.otherCpuPct.max)} %) of ${r.server.pinned ? 'the server\'s CPU' : 'the machine'} during the run: latency figures include that contention`);
  }
  L.push('');
  L.push(`| ${padEnd('figure', 26)} | ${pad('before', 8)} | ${pad('min', 8)} | ${pad('median', 8)} | ${pad('max', 8)} | ${pad('after', 8)} |`);
  L.push(`|${'-'.repeat(28)}|${'-'.repeat(9)}:|${'-'.repeat(9)}:|${'-'.repeat(9)}:|${'-'.repeat(9)}:|${'-'.repeat(9)}:|`);
  for (const row of SAMPLE_ROWS) {
    const d = sum.during[row.key];
    L.push(`| ${padEnd(row.label, 26)} | ${pad(fmt(sum.before?.[row.key], row.digits), 8)} | ${pad(fmt(d?.min, row.digits), 8)} | ${pad(fmt(d?.median, row.digits), 8)} | ${pad(fmt(d?.max, row.digits), 8)} | ${pad(fmt(sum.after?.[row.key], row.digits), 8)} |`);
  }
  L.push('');
  const c = r.client;
  L.push(`well-behaved client (from ${r.clientAddress ?? '127.0.0.1'}; ${c.symbols.join(', ')}, interval 0): ${fmtInt(c.quotes)} quotes in ${fmtInt(c.quoteMessages)} messages; ` +
    `latency (receive − ts) p50 ${fmt(c.latency.p50)} ms, p99 ${fmt(c.latency.p99)} ms, max ${fmt(c.latency.max)} ms; ` +
    `longest gap ${fmtInt(c.maxGapMs)} ms; disconnects ${c.disconnects.length}`);
  const w = c.welcome;
  L.push(`welcome probe (fresh connection every ${o.probeEveryS} s): ${w.ok}/${w.attempts} welcomed, p50 ${fmt(w.dist.p50, 1)} ms, p99 ${fmt(w.dist.p99, 1)} ms, max ${fmt(w.dist.max, 1)} ms` +
    (w.ok < w.attempts ? `; failures: ${outcomes(w.failures)}` : ''));
  L.push('');
  const a = r.attacks;
  const secs = r.loadSeconds || 1;
  const life = (x) => (x.length ? `, closed after p50 ${fmt(percentile(x, 50) / 1000, 1)} s (max ${fmt(percentile(x, 100) / 1000, 1)} s)` : '');
  L.push('| attack | activity | outcomes (close codes seen) |');
  L.push('|---|---|---|');
  L.push(`| churn ×${a.churn.loops} | ${fmtInt(a.churn.cycles)} cycles, ${fmt(a.churn.cycles / secs, 1)}/s, cycle p50 ${fmt(percentile(a.churn.cycleMs, 50), 1)} ms p99 ${fmt(percentile(a.churn.cycleMs, 99), 1)} ms, ${fmtInt(a.churn.failures)} failed | ${outcomes(a.churn.closes)}${a.churn.failures ? `; errors: ${outcomes(a.churn.errors)}` : ''} |`);
  const kernel = a.slowReaders.bytesLeftInKernel;
  const kernelNote = kernel.length ? `, p50 ${fmt(percentile(kernel, 50) / MiB, 1)} MiB unread in their socket at the close` : '';
  L.push(`| slow readers ×${a.slowReaders.loops} | ${fmtInt(a.slowReaders.connections)} connections, ${fmtInt(a.slowReaders.closedByServer)} closed by the server${life(a.slowReaders.lifeMs)}${kernelNote}, ${a.slowReaders.openAtEnd} open at the end | ${outcomes(a.slowReaders.outcomes)}${a.slowReaders.failures ? `; errors: ${outcomes(a.slowReaders.errors)}` : ''} |`);
  L.push(`| command flood ×${a.commandFlood.loops} | ${fmtInt(a.commandFlood.connections)} connections, ${fmtInt(a.commandFlood.commandsSent)} commands sent (${fmtInt(a.commandFlood.commandsSent / secs)}/s), ${fmtInt(a.commandFlood.rateLimited)} rate_limited, replies: ${outcomes(a.commandFlood.replies)} | ${outcomes(a.commandFlood.closes)}${a.commandFlood.failures ? `; errors: ${outcomes(a.commandFlood.errors)}` : ''} |`);
  const pf = a.pingFlood;
  const pfNote = pf.pingsPerConnection.length
    ? `, p50 ${fmtInt(percentile(pf.pingsPerConnection, 50))} pings written per closed connection, longest write stall p50 ${fmtInt(percentile(pf.longestWriteStallMs, 50))} ms` : '';
  L.push(`| ping flood ×${pf.loops} | ${fmtInt(pf.connections)} connections, ${fmtInt(pf.pingsSent)} pings sent (${fmtInt(pf.pingsSent / secs)}/s), ${fmtInt(pf.closedByServer)} closed by the server${life(pf.lifeMs)}${pfNote}, ${pf.openAtEnd} open at the end | ${outcomes(a.pingFlood.outcomes)}${a.pingFlood.failures ? `; errors: ${outcomes(a.pingFlood.errors)}` : ''} |`);
  for (const [kind, k] of Object.entries(a.hostile.byKind)) {
    const held = k.openAtStopMs.length ? `; open for up to ${fmt(percentile(k.openAtStopMs, 100) / 1000, 1)} s when the load stopped` : '';
    const answered = k.ms.length ? `, answered p50 ${fmt(percentile(k.ms, 50) / 1000, 3)} s (max ${fmt(percentile(k.ms, 100) / 1000, 3)} s)` : '';
    L.push(`| hostile ${kind} | ${fmtInt(k.attempts)} connections${answered}${held} | ${outcomes(k.outcomes)} |`);
  }
  if (a.hostile.failures) L.push(`| hostile (handshakes) | ${fmtInt(a.hostile.failures)} failed | ${outcomes(a.hostile.errors)} |`);
  L.push('');
  const d = r.drain;
  if (d && d.zeroConnectionsAfterS !== undefined) {
    const kinds = (k) => Object.entries(k ?? {}).sort((x, y) => y[1] - x[1]).map(([n, c]) => `${n} ×${c}`).join(', ');
    L.push(`drain: ${d.zeroConnectionsAfterS === null ? `connections still open after ${fmt(d.waitedS, 1)} s` : `0 connections ${fmt(d.zeroConnectionsAfterS, 1)} s after the load stopped, fds then ${d.fdsAtZeroConnections} (${kinds(d.fdKindsAtZeroConnections)}; at baseline: ${kinds(d.baselineFdKinds)})`}` +
      `; fds within the bound ${d.fdsSettledAfterS === null ? `not reached in ${fmt(d.waitedS, 1)} s` : `after ${fmt(d.fdsSettledAfterS, 1)} s`}` +
      `; back to baseline + 2 ${d.fdsAtBaselineAfterS === null ? `not within ${fmt(d.waitedS, 1)} s` : `after ${fmt(d.fdsAtBaselineAfterS, 1)} s`}`);
  }
  const logs = Object.entries(r.server.logCounts);
  if (logs.length) L.push(`server log lines (warn and above): ${logs.sort((x, y) => y[1] - x[1]).map(([k, n]) => `${k} ×${fmtInt(n)}`).join('; ')}`);
  L.push('');
  L.push('bounds:');
  for (const x of r.bounds) L.push(`  ${x.ok ? 'PASS' : 'FAIL'}  ${x.name}: ${x.detail}`);
  L.push('');
  L.push(r.ok ? 'soak: PASS' : `soak: FAIL — ${r.bounds.filter((x) => !x.ok).map((x) => x.name).join('; ')}`);
  return L.join('\n');
}

export { MiB };
