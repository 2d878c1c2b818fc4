// docs/client.md shows docs/examples/client-node.mjs; this runs that very file, as a user would, against
// a test server and checks what it prints.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { PACKAGE_ROOT, startTestServer } from '../helpers/server.js';

describe('docs/examples/client-node.mjs', { timeout: 30_000 }, () => {
  test('docs/client.md shows the file verbatim', () => {
    const doc = readFileSync(join(PACKAGE_ROOT, 'docs/client.md'), 'utf8');
    const file = readFileSync(join(PACKAGE_ROOT, 'docs/examples/client-node.mjs'), 'utf8');
    assert.ok(doc.includes('```js\n' + file + '```\n'), 'the Node example in docs/client.md is docs/examples/client-node.mjs');
  });

  test('prints ticks, then its summary line, and exits 0', async () => {
    const server = await startTestServer({ appHeartbeatMs: 0 });
    try {
      const child = spawn(process.execPath, [join(PACKAGE_ROOT, 'docs/examples/client-node.mjs')], {
        env: { ...process.env, TICKSTREAM_URL: `${server.wsUrl}ws`, TICKSTREAM_LIMIT: '5' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
      assert.equal(code, 0, `stderr: ${stderr}`);
      const lines = stdout.trim().split('\n');
      assert.match(lines[0]!, /^snapshot \(initial\): (AAPL|MSFT) \d+(\.\d+)?, (AAPL|MSFT) \d+(\.\d+)?$/);
      assert.equal(lines.filter((l) => /^(AAPL|MSFT)\s+\d+\.\d{2} seq=\d+$/.test(l)).length, 5);
      assert.match(lines[lines.length - 1]!, /^done: 5 ticks, last AAPL \d+(\.\d+)?$/);
      assert.match(stderr, /^\[connecting\]\n\[live\]\n\[stopped\] stopped by the application\n$/);
    } finally {
      await server.close();
    }
  });
});
