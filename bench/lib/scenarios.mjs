// One function per kind of measurement. Each starts a fresh server process (pinned
// to CPU 0) and the C load generator (pinned to CPU 1), measures once, and always
// stops both before returning.
import { spawnPinned, readRss, readCpuSeconds, sleep } from './proc.mjs';

export function makeRunner({ benchDir, loadgenPath, serverCommand }) {
  function loadgen(args) {
    return spawnPinned(1, loadgenPath, args.map(String));
  }

  async function startServer(name, opts = {}) {
    const { cmd, args, cwd, readyTimeoutMs } = serverCommand(name, opts);
    const proc = spawnPinned(0, cmd, args, { cwd: cwd ?? benchDir });
    const ready = await proc.waitFor((e) => e.event === 'ready', readyTimeoutMs ?? 15000, 'ready');
    return { proc, port: ready.port, pid: proc.pid };
  }

  async function serverStats(srv, gc = false) {
    srv.proc.send({ cmd: gc ? 'gc' : 'stats' });
    return srv.proc.waitFor((e) => e.event === 'stats', 10000, 'stats');
  }

  /** Waits (bounded) until the server has registered `n` clients. */
  async function waitClients(srv, n, timeoutMs = 10000) {
    const deadline = Date.now() + timeoutMs;
    for (let i = 0; i < 1000 && Date.now() < deadline; i++) {
      const s = await serverStats(srv);
      if (s.clients >= n) return s;
      await sleep(20);
    }
    throw new Error(`server registered fewer than ${n} clients in ${timeoutMs} ms`);
  }

  function loadgenFailure(ev, expectOpen) {
    if (ev.failed > 0) return `${ev.failed} connections failed: ${ev.error}`;
    if (expectOpen !== undefined && ev.open !== undefined && ev.open < expectOpen) return `only ${ev.open} of ${expectOpen} connected`;
    return null;
  }

  /** M1 / M2 / M6: N clients receive broadcasts; the server is told when to start. */
  async function broadcast(server, p) {
    const srv = await startServer(server, { deflate: p.deflate });
    let lg;
    try {
      const timeout = p.warmup + p.measure + 30;
      lg = loadgen(['recv', '--port', srv.port, '--connections', p.clients, '--concurrency', 200,
        '--warmup', p.warmup, '--measure', p.measure, '--timeout', timeout, ...(p.deflate ? ['--deflate'] : [])]);
      const conn = await lg.waitFor((e) => e.event === 'connected', 60000, 'connected');
      const bad = loadgenFailure(conn, p.clients);
      if (bad) throw new Error(bad);
      await waitClients(srv, p.clients);
      const cpu0 = readCpuSeconds(srv.pid);
      const t0 = performance.now();
      srv.proc.send({ cmd: 'start', mode: p.mode, size: p.size, rate: p.rate, burst: p.burst ?? 16, maxSeconds: timeout });
      const res = await lg.waitFor((e) => e.event === 'result', timeout * 1000 + 5000, 'result');
      const serverCpuPct = (100 * (readCpuSeconds(srv.pid) - cpu0)) / ((performance.now() - t0) / 1000);
      const rss = readRss(srv.pid);
      srv.proc.send({ cmd: 'stop' });
      const stopped = await srv.proc.waitFor((e) => e.event === 'stopped', 10000, 'stopped');
      if (res.error && res.error !== '') throw new Error(`load generator: ${res.error}`);
      return {
        deliveriesPerSec: res.msgs_per_s,
        expectedPerSec: p.mode === 'rate' ? p.rate * p.clients : undefined,
        latencyUs: res.latency_us,
        compressed: res.compressed,
        messages: res.messages,
        serverCpuPct,
        serverRssBytes: rss,
        genCpuPct: res.window_cpu_pct ?? res.cpu_pct,
        broadcasts: stopped.broadcasts,
        skipped: stopped.skipped,
      };
    } finally {
      if (lg) await lg.stop();
      await srv.proc.stop();
    }
  }

  /** M3: RSS growth of the server while N connections sit idle. */
  async function idleMemory(server, p) {
    const srv = await startServer(server, {});
    let lg;
    try {
      const before = await serverStats(srv, true);
      const rss0 = readRss(srv.pid);
      lg = loadgen(['open', '--port', srv.port, '--connections', p.clients, '--concurrency', p.concurrency,
        '--hold', '--src-addrs', 4, '--timeout', 120]);
      const conn = await lg.waitFor((e) => e.event === 'connected', 120000, 'connected');
      const bad = loadgenFailure(conn, p.clients);
      if (bad) throw new Error(bad);
      await waitClients(srv, p.clients);
      const after = await serverStats(srv, true);
      const rss1 = readRss(srv.pid);
      lg.child.stdin.write('done\n');
      const res = await lg.waitFor((e) => e.event === 'result', 30000, 'result');
      return {
        kibPerConn: (rss1 - rss0) / 1024 / p.clients,
        heapKibPerConn: (after.heapUsed - before.heapUsed) / 1024 / p.clients,
        rssBeforeBytes: rss0,
        rssAfterBytes: rss1,
        genCpuPct: res.cpu_pct,
      };
    } finally {
      if (lg) await lg.stop();
      await srv.proc.stop();
    }
  }

  /** M4: complete N handshakes with bounded concurrency; connections are held until the end. */
  async function handshakeRate(server, p) {
    const srv = await startServer(server, {});
    let lg;
    try {
      // Warm-up round, not measured, for every server alike: a production server is past JIT warm-up, and
      // 10k handshakes last well under a second, so a cold process would mostly measure the JIT.
      if (p.warmup > 0) {
        const warm = loadgen(['open', '--port', srv.port, '--connections', p.warmup, '--concurrency', p.concurrency,
          '--src-addrs', 4, '--timeout', 60]);
        const wres = await warm.waitFor((e) => e.event === 'result', 70000, 'warm-up result');
        await warm.stop();
        const bad = loadgenFailure(wres);
        if (bad) throw new Error(`warm-up: ${bad}`);
      }
      const cpu0 = readCpuSeconds(srv.pid);
      lg = loadgen(['open', '--port', srv.port, '--connections', p.clients, '--concurrency', p.concurrency,
        '--src-addrs', 4, '--timeout', 120]);
      const res = await lg.waitFor((e) => e.event === 'result', 130000, 'result');
      const serverCpuPct = (100 * (readCpuSeconds(srv.pid) - cpu0)) / Math.max(res.open_seconds, 0.01);
      const bad = loadgenFailure(res);
      if (bad) throw new Error(bad);
      return { connPerSec: res.conn_per_s, seconds: res.open_seconds, genCpuPct: res.cpu_pct, serverCpuPct };
    } finally {
      if (lg) await lg.stop();
      await srv.proc.stop();
    }
  }

  return { broadcast, idleMemory, handshakeRate, startServer, loadgen, serverStats, waitClients };
}
