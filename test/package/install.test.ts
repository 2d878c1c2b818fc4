// Installable: `npm pack`, the tarball installed in an empty directory, and there the CLI, the ESM
// entry points and their types work (issue 10, item 7). Uses the npm cache (--prefer-offline): the
// dependencies were downloaded by `npm ci` already.
import assert from 'node:assert/strict';
import { execFile as execFileCb, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { PACKAGE_ROOT } from '../helpers/server.js';

const execFile = promisify(execFileCb);

test('npm pack → npm install in an empty directory: tickstream serve, import tickstream / tickstream/wire / tickstream/client, types', { timeout: 240_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tickstream-install-'));
  try {
    await execFile(process.execPath, ['scripts/build-web.mjs', '--if-needed'], { cwd: PACKAGE_ROOT });
    const packed = await execFile('npm', ['pack', '--json', '--pack-destination', dir], { cwd: PACKAGE_ROOT, maxBuffer: 64 * 1024 * 1024 });
    const [{ filename }] = JSON.parse(packed.stdout) as [{ filename: string }];
    const app = join(dir, 'app');
    await execFile('mkdir', [app]);
    await writeFile(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
    await execFile('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', join(dir, filename)], { cwd: app, maxBuffer: 64 * 1024 * 1024 });

    // The CLI, as `npx tickstream` finds it.
    const version = JSON.parse(await readFile(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string };
    const cli = join(app, 'node_modules', '.bin', 'tickstream');
    assert.match((await execFile(cli, ['--version'])).stdout, new RegExp(version.version.replace(/\./g, '\\.')));

    // ESM entry points.
    const probe = `
      const main = await import('tickstream');
      const wire = await import('tickstream/wire');
      const protocol = await import('tickstream/protocol');
      const client = await import('tickstream/client');
      console.log([typeof main.startServer, typeof wire.decodeServerMessage, typeof protocol.computeAcceptKey, typeof client.TickstreamClient].join(','));`;
    const imported = await execFile(process.execPath, ['--input-type=module', '-e', probe], { cwd: app });
    assert.equal(imported.stdout.trim(), 'function,function,function,function');

    // Types: a strict TypeScript program against the installed package.
    await writeFile(
      join(app, 'check.ts'),
      `import { startServer, type TickstreamServerOptions } from 'tickstream';
       import { decodeServerMessage, type ServerMessage } from 'tickstream/wire';
       import { TickstreamClient } from 'tickstream/client';
       const client = new TickstreamClient({ url: 'ws://127.0.0.1:1/', symbols: ['AAPL'], interval: 0 });
       const options: TickstreamServerOptions = { port: 0 };
       const m: ServerMessage | null = decodeServerMessage('{"type":"heartbeat","ts":1}');
       export const used = [startServer, options, m, client];\n`,
    );
    const tsc = join(PACKAGE_ROOT, 'node_modules', '.bin', 'tsc');
    await execFile(tsc, ['--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--skipLibCheck', 'check.ts'], { cwd: app });

    // The server starts from the installed package, with its dashboard.
    const server = spawn(cli, ['serve', '--host', '127.0.0.1', '--port', '0', '--log-format', 'json'], { cwd: app, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const port = await new Promise<number>((resolve, reject) => {
        let out = '';
        const timer = setTimeout(() => reject(new Error(`no listening line: ${out}`)), 20_000);
        server.stdout!.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          const line = out.split('\n').find((l) => l.includes('"msg":"listening"'));
          if (line !== undefined) {
            clearTimeout(timer);
            resolve((JSON.parse(line) as { port: number }).port);
          }
        });
      });
      assert.equal((await fetch(`http://127.0.0.1:${port}/healthz`)).status, 200);
      const page = await fetch(`http://127.0.0.1:${port}/`);
      assert.match(await page.text(), /<html/i);
    } finally {
      server.kill('SIGTERM');
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
