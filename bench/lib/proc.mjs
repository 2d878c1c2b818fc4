// Child-process plumbing for the benchmark orchestrator: pinned spawns, JSON-line
// events, bounded waits, /proc readings, and a guarantee that no child survives us.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

const children = new Set();

function killAll() {
  for (const c of children) {
    try { c.kill('SIGKILL'); } catch { /* already gone */ }
  }
  children.clear();
}
process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => { killAll(); process.exit(130); });
}

/**
 * Spawns `cmd args` pinned to `cpu` with taskset (which execs, so the pid is the
 * program's own and /proc/<pid>/status shows its RSS). stdout is parsed as JSON
 * lines; non-JSON lines and stderr are kept for error messages.
 */
export function spawnPinned(cpu, cmd, args, { env, cwd } = {}) {
  const child = spawn('taskset', ['-c', String(cpu), cmd, ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: env ?? process.env,
    cwd,
  });
  children.add(child);
  const events = [];
  const waiters = new Set();
  let stderr = '';
  let exited = null;
  const rl = createInterface({ input: child.stdout });
  rl.on('line', (line) => {
    let ev;
    try { ev = JSON.parse(line); } catch { stderr += line + '\n'; return; }
    events.push(ev);
    for (const w of waiters) if (w.pred(ev)) { waiters.delete(w); clearTimeout(w.timer); w.resolve(ev); }
  });
  child.stderr.on('data', (d) => { stderr = (stderr + d).slice(-4000); });
  child.stdin.on('error', () => {});
  const exitPromise = new Promise((resolve) => {
    // 'close', not 'exit': the last stdout line (the result) may be delivered after 'exit'.
    child.on('close', (code, signal) => {
      children.delete(child);
      exited = { code, signal };
      for (const w of waiters) { clearTimeout(w.timer); w.reject(new Error(`${cmd} exited (${code ?? signal}) while waiting; stderr: ${stderr.trim().slice(-800)}`)); }
      waiters.clear();
      resolve(exited);
    });
  });

  return {
    child,
    get pid() { return child.pid; },
    get stderr() { return stderr; },
    events,
    exited: exitPromise,
    send(obj) { child.stdin.write(JSON.stringify(obj) + '\n'); },
    /** Resolves with the first event (already seen or future) matching pred. */
    waitFor(pred, timeoutMs, what = 'event') {
      const seen = events.find(pred);
      if (seen) { events.splice(events.indexOf(seen), 1); return Promise.resolve(seen); }
      if (exited) return Promise.reject(new Error(`${cmd} already exited; stderr: ${stderr.trim().slice(-800)}`));
      return new Promise((resolve, reject) => {
        const w = { pred, resolve: (ev) => { events.splice(events.indexOf(ev), 1); resolve(ev); }, reject, timer: null };
        w.timer = setTimeout(() => { waiters.delete(w); reject(new Error(`timeout after ${timeoutMs} ms waiting for ${what} from ${cmd}; stderr: ${stderr.trim().slice(-800)}`)); }, timeoutMs);
        waiters.add(w);
      });
    },
    /** Ends stdin (our servers exit on EOF), optionally signals, and SIGKILLs after graceMs. */
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

/** Resident set size of a process in bytes, from /proc/<pid>/status (VmRSS). */
export function readRss(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

/** User+system CPU seconds consumed so far by a process (and its threads). */
export function readCpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[11] = utime, fields[12] = stime (fields 14 and 15 of proc(5)), in clock ticks.
  return (Number(fields[11]) + Number(fields[12])) / 100; // USER_HZ is 100 on Linux
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
