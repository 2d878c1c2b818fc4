// Common control loop for every benchmark server. The orchestrator (bench/run.mjs)
// drives a server through JSON lines on its stdin and reads JSON lines on its stdout,
// so the load generator itself never triggers broadcasts.
//
// Commands:  {"cmd":"start","mode":"saturate"|"rate","size":120,"rate":100,"burst":16,"hwm":65536,"maxSeconds":30}
//            {"cmd":"stop"}  {"cmd":"stats"}  {"cmd":"gc"}
// Events:    {"event":"ready","port":P,"pid":N}  {"event":"started"}  {"event":"stopped",...}
//            {"event":"stats","clients":N,"rss":bytes,...}
//
// An adapter is { listen(host, deflate) -> Promise<port>, clientCount(), maxBuffered(),
//                 broadcast(text), broadcastBurst?(texts[]) }.
import { createInterface } from 'node:readline';
import { readFileSync } from 'node:fs';
import { payloadMaker } from './payload.mjs';

export function parseServerArgs(argv = process.argv.slice(2)) {
  const opts = { host: '127.0.0.1', deflate: false };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--host') opts.host = argv[++i];
    else if (argv[i] === '--deflate') opts.deflate = true;
  }
  return opts;
}

function emit(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

function rssBytes() {
  // VmRSS from /proc is what the orchestrator reads too; memoryUsage().rss agrees on Linux.
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) * 1024 : process.memoryUsage().rss;
}

export async function runServer(adapter) {
  const opts = parseServerArgs();
  const port = await adapter.listen(opts.host, opts.deflate);
  let run = null; // the current broadcast loop, if any

  function stopRun() {
    if (!run) return null;
    run.active = false;
    clearTimeout(run.timer);
    const seconds = Number(process.hrtime.bigint() - run.startNs) / 1e9;
    const r = { event: 'stopped', broadcasts: run.sent, skipped: run.skipped, waits: run.waits, seconds };
    run = null;
    return r;
  }

  function start(cmd) {
    stopRun();
    const size = cmd.size ?? 120;
    const make = payloadMaker(size);
    const burst = Math.max(1, cmd.burst ?? 16);
    const hwm = cmd.hwm ?? 64 * 1024;
    const maxNs = BigInt(Math.round((cmd.maxSeconds ?? 30) * 1e9));
    const r = { active: true, sent: 0, skipped: 0, waits: 0, timer: undefined, startNs: process.hrtime.bigint() };
    run = r;
    const burstTexts = new Array(burst);

    // Saturation: send a burst of broadcasts whenever every client's send buffer is
    // below the high-water mark, otherwise yield so the event loop can flush sockets.
    // This measures the fastest rate that does NOT grow memory without bound.
    function pump() {
      if (!r.active) return;
      if (process.hrtime.bigint() - r.startNs > maxNs) { emit(stopRun()); return; }
      if (adapter.maxBuffered() <= hwm) {
        if (adapter.broadcastBurst) {
          for (let i = 0; i < burst; i++) burstTexts[i] = make(r.sent + i);
          adapter.broadcastBurst(burstTexts);
        } else {
          for (let i = 0; i < burst; i++) adapter.broadcast(make(r.sent + i));
        }
        r.sent += burst;
      } else {
        r.waits++;
      }
      setImmediate(pump);
    }

    // Fixed rate: broadcasts are due at start + k/rate; catch up on late timers, but
    // if the server falls more than one second behind, skip (and count) the backlog.
    const rate = cmd.rate ?? 100;
    function tick() {
      if (!r.active) return;
      const elapsedNs = process.hrtime.bigint() - r.startNs;
      if (elapsedNs > maxNs) { emit(stopRun()); return; }
      const due = Math.floor((Number(elapsedNs) / 1e9) * rate);
      if (due - r.sent - r.skipped > rate) r.skipped = due - r.sent;
      while (r.sent + r.skipped < due) { adapter.broadcast(make(r.sent)); r.sent++; }
      const nextDueNs = ((r.sent + r.skipped + 1) / rate) * 1e9;
      r.timer = setTimeout(tick, Math.max(0, (nextDueNs - Number(process.hrtime.bigint() - r.startNs)) / 1e6));
    }

    emit({ event: 'started', mode: cmd.mode, clients: adapter.clientCount() });
    if (cmd.mode === 'rate') tick();
    else pump();
  }

  function stats() {
    const mu = process.memoryUsage();
    return { event: 'stats', clients: adapter.clientCount(), rss: rssBytes(), heapUsed: mu.heapUsed, external: mu.external };
  }

  const rl = createInterface({ input: process.stdin });
  rl.on('line', (line) => {
    let cmd;
    try { cmd = JSON.parse(line); } catch { emit({ event: 'error', message: 'bad json' }); return; }
    if (cmd.cmd === 'start') start(cmd);
    else if (cmd.cmd === 'stop') emit(stopRun() ?? { event: 'stopped', broadcasts: 0 });
    else if (cmd.cmd === 'stats') emit(stats());
    else if (cmd.cmd === 'gc') {
      if (globalThis.gc) { globalThis.gc(); globalThis.gc(); }
      // Give finalizers and freed native buffers a moment before reading RSS.
      setTimeout(() => emit(stats()), 200);
    } else emit({ event: 'error', message: `unknown cmd ${cmd.cmd}` });
  });
  // The orchestrator closing our stdin (or dying) ends the server: no strays.
  rl.on('close', () => process.exit(0));
  process.on('SIGTERM', () => process.exit(0));
  emit({ event: 'ready', port, pid: process.pid, name: adapter.name });
}
