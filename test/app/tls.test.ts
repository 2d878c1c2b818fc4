// https:// and wss:// on the same port, with a throw-away self-signed certificate made by openssl.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { get } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { TickstreamServer } from '../../src/app/server.js';
import { openClient, quotesOf, startTestServer } from '../helpers/server.js';

describe('TLS: https + wss on one port', () => {
  let dir: string;
  let cert: Buffer;
  let server: TickstreamServer;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tickstream-tls-'));
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-days', '1',
        '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
        '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')],
      { stdio: 'pipe', timeout: 20_000 },
    );
    cert = await readFile(join(dir, 'cert.pem'));
    server = await startTestServer({ tls: { cert, key: await readFile(join(dir, 'key.pem')) }, intervalMs: 100 });
  });
  after(async () => {
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('the server reports https:// and wss:// URLs', () => {
    assert.match(server.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.match(server.wsUrl, /^wss:\/\/127\.0\.0\.1:\d+\/$/);
  });

  test('GET /healthz over https, trusting the test CA', { timeout: 10_000 }, async () => {
    const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      get(`${server.url}/healthz`, { ca: cert }, (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      }).on('error', reject);
    });
    assert.equal(status, 200);
    assert.equal((JSON.parse(body) as { status: string }).status, 'ok');
  });

  test('wss:// connect with that CA gets welcome, snapshot and pushes', { timeout: 10_000 }, async () => {
    const client = await openClient(`${server.wsUrl}?symbols=AAPL`, { tls: { ca: cert } });
    try {
      assert.equal((await client.next()).type, 'welcome');
      assert.equal(quotesOf(await client.nextOfType('snapshot'))[0]?.symbol, 'AAPL');
      assert.equal(quotesOf(await client.nextOfType('quotes', 3_000))[0]?.symbol, 'AAPL');
    } finally {
      await client.close();
    }
  });

  test('a client that does not trust the certificate is refused by TLS', { timeout: 10_000 }, async () => {
    await assert.rejects(openClient(server.wsUrl), /self[- ]signed|certificate/i);
  });
});
