// The soak (bench/soak.mjs, docs/soak.md) for 30 seconds: one `tickstream serve` under churn, slow
// readers, command floods, ping floods and hostile frames at once, while a well-behaved client
// measures its latency. The server must survive and stay bounded; every load must really have run.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

/** The repository root: the nearest directory above this file (test/soak or dist/test/soak) with a package.json. */
function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
  return dir;
}

interface Sample {
  phase: 'before' | 'during' | 'after';
  rssMiB: number;
  fds: number;
  healthzOk: boolean;
}
interface Bound {
  name: string;
  ok: boolean;
  detail: string;
}
interface SoakResult {
  ok: boolean;
  error: string | null;
  options: { maxRssGrowthMiB: number; maxFdGrowth: number; maxQuoteGapMs: number; durationS: number };
  server: { exitedDuringRun: string | null };
  samples: Sample[];
  watchdog: { peakRssMiB: number; aborted: string | null };
  summary: { before: Sample | null; after: Sample | null };
  client: { quotes: number; maxGapMs: number; disconnects: unknown[]; latency: { n: number; p99?: number } };
  attacks: {
    churn: { cycles: number };
    slowReaders: { connections: number };
    commandFlood: { commandsSent: number; rateLimited: number };
    pingFlood: { pingsSent: number };
    hostile: { byKind: Record<string, { attempts: number; outcomes: Record<string, number> }> };
  };
  bounds: Bound[];
  table?: string;
}

const DURATION_S = 30;

function runSoak(root: string, out: string): Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, 'bench/soak.mjs'), '--duration', String(DURATION_S), '--json', '--out', out], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    // The soak stops by itself; should it not, it must not outlive the test (SIGINT: it kills its server).
    const stop = setTimeout(() => child.kill('SIGINT'), 105_000);
    const kill = setTimeout(() => child.kill('SIGKILL'), 112_000);
    const onExit = (): void => void child.kill('SIGKILL');
    process.once('exit', onExit);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(stop);
      clearTimeout(kill);
      process.off('exit', onExit);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

test(`soak: ${DURATION_S} s of abusive clients at once, the server survives and stays bounded`, { timeout: 120_000 }, async (t) => {
  const root = repoRoot();
  const dir = mkdtempSync(join(tmpdir(), 'tickstream-soak-'));
  try {
    const run = await runSoak(root, join(dir, 'soak.json'));
    let r: SoakResult;
    try {
      r = JSON.parse(run.stdout) as SoakResult;
    } catch {
      assert.fail(`soak printed no JSON (exit ${run.code ?? run.signal}); stderr:\n${run.stderr.slice(-3000)}`);
    }
    t.diagnostic(`\n${r.table ?? run.stderr.slice(-3000)}`);
    assert.equal(r.error, null, `the soak did not complete: ${r.error}`);

    await t.test('the server stayed alive', () => {
      assert.equal(r.server.exitedDuringRun, null);
      assert.equal(r.watchdog.aborted, null, `the load was stopped early: ${r.watchdog.aborted}`);
    });

    await t.test('RSS stayed within the growth bound', () => {
      const base = r.summary.before;
      assert.ok(base, 'a baseline sample');
      const peak = Math.max(r.watchdog.peakRssMiB, ...r.samples.map((s) => s.rssMiB));
      const growth = peak - base.rssMiB;
      assert.ok(growth <= r.options.maxRssGrowthMiB, `RSS grew by ${growth.toFixed(1)} MiB (bound ${r.options.maxRssGrowthMiB} MiB)`);
    });

    await t.test('open fds came back near the baseline after the load', () => {
      const base = r.summary.before;
      const after = r.summary.after;
      assert.ok(base && after, 'baseline and after-drain samples');
      assert.ok(after.fds <= base.fds + r.options.maxFdGrowth, `fds ${base.fds} before, ${after.fds} after (bound +${r.options.maxFdGrowth})`);
    });

    await t.test('the well-behaved client got quotes throughout', () => {
      assert.ok(r.client.quotes > DURATION_S, `${r.client.quotes} quotes`);
      assert.ok(r.client.maxGapMs <= r.options.maxQuoteGapMs, `longest gap ${r.client.maxGapMs} ms`);
      assert.deepEqual(r.client.disconnects, [], 'never disconnected');
    });

    await t.test('every attack actually ran', () => {
      const a = r.attacks;
      assert.ok(a.churn.cycles > 0, 'churn cycles');
      assert.ok(a.slowReaders.connections > 0, 'slow readers');
      assert.ok(a.commandFlood.commandsSent > 0, 'flood commands');
      assert.ok(a.commandFlood.rateLimited > 0, 'the flooders were rate limited');
      assert.ok(a.pingFlood.pingsSent > 0, 'flood pings');
      for (const [kind, k] of Object.entries(a.hostile.byKind)) assert.ok(k.attempts > 0, `hostile ${kind}`);
      // A protocol violation is answered with its close code, not left open.
      for (const kind of ['unmasked', 'reserved-opcode', 'garbage']) {
        assert.ok(Object.keys(a.hostile.byKind[kind]!.outcomes).every((o) => o.startsWith('close 1002')), `${kind}: ${JSON.stringify(a.hostile.byKind[kind]!.outcomes)}`);
      }
    });

    await t.test('every bound of the soak held, and it exited 0', () => {
      const failed = r.bounds.filter((b) => !b.ok).map((b) => `${b.name}: ${b.detail}`);
      assert.deepEqual(failed, []);
      assert.equal(r.ok, true);
      assert.equal(run.code, 0, `exit ${run.code ?? run.signal}`);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
