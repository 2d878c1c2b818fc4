// Interop: Python's `websockets` (an independent RFC 6455 implementation) as a tickstream client.
// Runs /usr/bin/python3 on purpose (the Debian python with python3-websockets); if it or the
// module is missing the test FAILS with the reason, it does not skip.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { PACKAGE_ROOT, startTestServer } from '../helpers/server.js';

const PYTHON = '/usr/bin/python3';
// The script lives in the source tree (tsc does not copy .py files into dist/).
const SCRIPT = join(PACKAGE_ROOT, 'test', 'app', 'python_client.py');

function runPython(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(PYTHON, args, { timeout: 20_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, stdout, stderr: stderr || (error?.message ?? '') });
    });
  });
}

test('python websockets client: welcome, snapshot, quotes, subscribe', { timeout: 30_000 }, async () => {
  const probe = await runPython(['-c', 'import websockets; print(websockets.__version__)']);
  assert.equal(probe.code, 0, `${PYTHON} with the websockets module is required (apt install python3-websockets): ${probe.stderr}`);

  const server = await startTestServer({ intervalMs: 100 });
  try {
    const run = await runPython([SCRIPT, `${server.wsUrl}?symbols=AAPL,MSFT&interval=100`]);
    assert.equal(run.code, 0, `python client failed: ${run.stderr}`);
    const seen = JSON.parse(run.stdout) as {
      welcome: { type: string; server: string; interval: number; symbols: string[] };
      snapshot_symbols: string[];
      quotes_type: string;
      quotes_symbols: string[];
      quotes_seq: number[];
      ack: { type: string; id: number; symbols: string[] };
      added_snapshot_symbols: string[];
    };
    assert.equal(seen.welcome.type, 'welcome');
    assert.equal(seen.welcome.server, 'tickstream');
    assert.equal(seen.welcome.interval, 100);
    assert.deepEqual([...seen.welcome.symbols].sort(), ['AAPL', 'MSFT']);
    assert.deepEqual([...seen.snapshot_symbols].sort(), ['AAPL', 'MSFT']);
    assert.equal(seen.quotes_type, 'quotes');
    assert.ok(seen.quotes_symbols.length > 0 && seen.quotes_symbols.every((s) => s === 'AAPL' || s === 'MSFT'));
    assert.ok(seen.quotes_seq.every((n) => Number.isInteger(n) && n > 0));
    assert.equal(seen.ack.id, 7);
    assert.deepEqual([...seen.ack.symbols].sort(), ['600519.SH', 'AAPL', 'MSFT']);
    assert.deepEqual(seen.added_snapshot_symbols, ['600519.SH']);
  } finally {
    await server.close();
  }
});
