// Interop with Python's `websockets` (Debian's python3-websockets run by /usr/bin/python3), an independent peer.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocketServer } from '../../src/transport/index.js';
import { listenHttp, nextEvent } from '../helpers/events.js';

const PYTHON = '/usr/bin/python3';
// The script sits beside the TypeScript source; compiled tests run from dist/test/interop, so look in both places.
const here = fileURLToPath(new URL('.', import.meta.url));
const scriptPath = [join(here, 'python_client.py'), join(here, '../../../test/interop/python_client.py')].find((p) => existsSync(p)) ?? 'python_client.py';

function runPython(args: string[]): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    execFile(PYTHON, [scriptPath, ...args], { timeout: 60_000, maxBuffer: 1 << 20 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`python client failed: ${error.message}\n${stderr}`));
      else resolve(JSON.parse(stdout) as Record<string, unknown>);
    });
  });
}

describe('Python websockets client against our server', { timeout: 120_000 }, () => {
  test('python3 with the websockets module is installed (required, not optional)', () => {
    assert.ok(existsSync(PYTHON), `${PYTHON} is missing: apt-get install python3-websockets`);
  });

  for (const mode of ['plain', 'deflate']) {
    test(`sizes, text, fragments, ping, close (${mode})`, async () => {
      const http = await listenHttp();
      const wss = new WebSocketServer({ server: http.server, maxPayload: 32 << 20, deflate: true, heartbeatIntervalMs: 0 });
      wss.on('connection', (conn) => conn.on('message', (d, isText) => conn.send(d, { binary: !isText })));
      const serverClose = nextEvent<[import('../../src/transport/index.js').WebSocketConnection]>(wss, 'connection', 30_000).then(([c]) =>
        nextEvent<[number, string]>(c, 'close', 60_000),
      );
      const r = await runPython([`ws://127.0.0.1:${http.port}/`, mode]);
      assert.equal(String(r['extensions']).includes('permessage-deflate'), mode === 'deflate');
      for (const [size, ok] of r['binary'] as [number, boolean][]) assert.equal(ok, true, `binary ${size}`);
      assert.equal(r['text'], 'price = 299.9 贵州茅台');
      assert.equal(r['fragmented'], 'fragmented');
      assert.equal(r['pong'], true);
      assert.equal(r['close_code'], 4003);
      assert.deepEqual(await serverClose, [4003, 'python done']);
      await wss.close();
      await http.close();
    });
  }
});
