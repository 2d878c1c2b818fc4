// HTTP routes on the shared port: REST snapshot, health, metrics, static pages, upgrade policy.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { PassThrough } from 'node:stream';
import { createLogger } from '../../src/app/logger.js';
import { METRIC_NAMES } from '../../src/app/metrics.js';
import type { TickstreamServer } from '../../src/app/server.js';
import { openClient, startTestServer } from '../helpers/server.js';

/** A raw GET with an exact path (fetch would normalise `..` away). */
function rawGet(port: number, path: string, method = 'GET'): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('HTTP routes', () => {
  let server: TickstreamServer;
  let base: string;
  let webRoot: string;
  before(async () => {
    // base/secret.txt sits next to the web root: traversal attempts aim at it.
    base = await mkdtemp(join(tmpdir(), 'tickstream-web-'));
    webRoot = join(base, 'web');
    await mkdir(webRoot);
    await writeFile(join(base, 'secret.txt'), 'secret');
    await writeFile(join(webRoot, 'index.html'), '<!doctype html><title>dash</title>');
    await writeFile(join(webRoot, 'console.html'), '<!doctype html><title>console</title>');
    await mkdir(join(webRoot, 'assets'));
    await writeFile(join(webRoot, 'assets', 'app.js'), 'console.log(1)');
    server = await startTestServer({ webRoot });
  });
  after(async () => {
    await server.close();
    await rm(base, { recursive: true, force: true });
  });

  test('GET /api/symbols lists at least 30 symbols with their descriptions', { timeout: 5_000 }, async () => {
    const response = await fetch(`${server.url}/api/symbols`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /application\/json/);
    const symbols = (await response.json()) as Array<Record<string, unknown>>;
    assert.ok(symbols.length >= 30, `${symbols.length} symbols`);
    const moutai = symbols.find((s) => s.symbol === '600519.SH');
    assert.ok(moutai, '600519.SH is listed');
    assert.deepEqual(Object.keys(moutai).sort(), ['currency', 'exchange', 'market', 'name', 'prevClose', 'symbol']);
    assert.equal(moutai.currency, 'CNY');
  });

  test('GET /api/quotes: all, a subset, and 404 naming unknown symbols', { timeout: 5_000 }, async () => {
    const all = (await (await fetch(`${server.url}/api/quotes`)).json()) as { quotes: Array<{ symbol: string; seq: number }> };
    assert.ok(all.quotes.length >= 30);
    const some = (await (await fetch(`${server.url}/api/quotes?symbols=AAPL,600519.SH`)).json()) as { quotes: Array<{ symbol: string }> };
    assert.deepEqual(some.quotes.map((q) => q.symbol).sort(), ['600519.SH', 'AAPL']);
    const bad = await fetch(`${server.url}/api/quotes?symbols=AAPL,NOPE,ALSO.NOT`);
    assert.equal(bad.status, 404);
    const error = (await bad.json()) as { error: string; symbols: string[] };
    assert.equal(error.error, 'unknown_symbol');
    assert.deepEqual(error.symbols, ['NOPE', 'ALSO.NOT']);
  });

  test('GET /healthz reports status, uptime and clients', { timeout: 5_000 }, async () => {
    const client = await openClient(server.wsUrl);
    await client.nextOfType('welcome');
    const health = (await (await fetch(`${server.url}/healthz`)).json()) as Record<string, unknown>;
    assert.equal(health.status, 'ok');
    assert.equal(typeof health.uptime, 'number');
    assert.equal(health.clients, 1);
    await client.close();
  });

  test('GET /metrics exposes this instance\'s metrics and the process defaults', { timeout: 5_000 }, async () => {
    const client = await openClient(`${server.wsUrl}?interval=0`);
    await client.nextOfType('quotes');
    const response = await fetch(`${server.url}/metrics`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /text\/plain/);
    const text = await response.text();
    for (const name of Object.values(METRIC_NAMES)) assert.match(text, new RegExp(`^# TYPE ${name} `, 'm'), name);
    assert.match(text, /^tickstream_connections 1$/m);
    assert.match(text, /^tickstream_slow_consumer_events_total\{kind="conflating"\} 0$/m);
    assert.match(text, /^tickstream_push_latency_seconds_bucket\{le="0.001"\} \d+$/m);
    assert.match(text, /^process_cpu_user_seconds_total /m);
    const sent = Number(/^tickstream_messages_sent_total (\d+)$/m.exec(text)?.[1]);
    const ticks = Number(/^tickstream_feed_ticks_total (\d+)$/m.exec(text)?.[1]);
    assert.ok(sent >= 1 && ticks >= 1, `messages ${sent}, ticks ${ticks}`);
    await client.close();
  });

  test('static pages: /, /console, assets with content types; traversal and unknown paths 404', { timeout: 5_000 }, async () => {
    const index = await rawGet(server.port, '/');
    assert.equal(index.status, 200);
    assert.match(String(index.headers['content-type']), /text\/html/);
    assert.match(index.body, /dash/);
    assert.match((await rawGet(server.port, '/console')).body, /console/);
    const asset = await rawGet(server.port, '/assets/app.js');
    assert.equal(asset.status, 200);
    assert.match(String(asset.headers['content-type']), /text\/javascript/);
    assert.equal((await rawGet(server.port, '/assets/app.js', 'HEAD')).body, '');
    for (const path of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/%2e%2e%2f..%2fsecret.txt', '/nope.html', '/assets']) {
      assert.equal((await rawGet(server.port, path)).status, 404, path);
    }
  });

  test('text assets go gzipped to clients that accept it, as they are to the others; a rebuilt file is compressed again', { timeout: 5_000 }, async () => {
    const script = join(webRoot, 'assets', 'big.js');
    await writeFile(script, 'console.log("tick");\n'.repeat(2000));
    const fetchIt = (encoding: string | undefined) =>
      new Promise<{ headers: Record<string, unknown>; body: Buffer }>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port: server.port, path: '/assets/big.js', headers: encoding === undefined ? {} : { 'accept-encoding': encoding } }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c)).on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
        });
        req.on('error', reject).end();
      });
    const zipped = await fetchIt('gzip, deflate, br');
    assert.equal(zipped.headers['content-encoding'], 'gzip');
    assert.equal(zipped.headers.vary, 'Accept-Encoding');
    assert.ok(zipped.body.length < 1000, `${zipped.body.length} bytes gzipped`);
    assert.equal(gunzipSync(zipped.body).toString(), 'console.log("tick");\n'.repeat(2000));
    for (const encoding of [undefined, 'identity', 'gzip;q=0']) {
      const plain = await fetchIt(encoding);
      assert.equal(plain.headers['content-encoding'], undefined, String(encoding));
      assert.equal(plain.body.length, 42_000);
    }
    await writeFile(script, 'console.log(2);');
    assert.equal(gunzipSync((await fetchIt('gzip')).body).toString(), 'console.log(2);');
  });

  test('wrong method → 405 with Allow, unknown path → 404', { timeout: 5_000 }, async () => {
    const post = await rawGet(server.port, '/api/quotes', 'POST');
    assert.equal(post.status, 405);
    assert.equal(post.headers.allow, 'GET, HEAD');
    assert.equal((await rawGet(server.port, '/', 'DELETE')).status, 405);
    assert.equal((await rawGet(server.port, '/api/nothing')).status, 404);
  });

  test('without a built dashboard, / lists the endpoints', { timeout: 5_000 }, async () => {
    const bare = await startTestServer({ webRoot: join(webRoot, 'does-not-exist') });
    try {
      const page = await rawGet(bare.port, '/');
      assert.equal(page.status, 200);
      assert.match(page.body, /\/api\/symbols/);
      assert.match(page.body, /\/metrics/);
      assert.equal((await rawGet(bare.port, '/console')).status, 404);
    } finally {
      await bare.close();
    }
  });
});

describe('upgrade policy', () => {
  test('auth token: missing/wrong → 401; query or bearer token accepted', { timeout: 5_000 }, async () => {
    const server = await startTestServer({ authToken: 's3cret' });
    try {
      await assert.rejects(openClient(server.wsUrl), /401/);
      await assert.rejects(openClient(`${server.wsUrl}?token=wrong`), /401/);
      const byQuery = await openClient(`${server.wsUrl}?token=s3cret&symbols=AAPL`);
      assert.equal((await byQuery.nextOfType('welcome')).type, 'welcome');
      const byHeader = await openClient(server.wsUrl, { headers: { Authorization: 'Bearer s3cret' } });
      assert.equal((await byHeader.nextOfType('welcome')).type, 'welcome');
      await Promise.all([byQuery.close(), byHeader.close()]);
    } finally {
      await server.close();
    }
  });

  test('allowed origins: another site → 403, listed origin and origin-less programs accepted', { timeout: 5_000 }, async () => {
    const server = await startTestServer({ allowedOrigins: ['https://quotes.example'] });
    try {
      await assert.rejects(openClient(server.wsUrl, { headers: { Origin: 'https://evil.example' } }), /403/);
      const listed = await openClient(server.wsUrl, { headers: { Origin: 'https://quotes.example' } });
      const program = await openClient(server.wsUrl);
      assert.equal((await listed.nextOfType('welcome')).type, 'welcome');
      assert.equal((await program.nextOfType('welcome')).type, 'welcome');
      await Promise.all([listed.close(), program.close()]);
    } finally {
      await server.close();
    }
  });

  test('allowed origins always admit the server\'s own pages (its own origin), and a refusal is logged', { timeout: 5_000 }, async () => {
    const lines: string[] = [];
    const destination = new PassThrough();
    destination.on('data', (chunk: Buffer) => lines.push(...chunk.toString('utf8').trim().split('\n')));
    const server = await startTestServer({ allowedOrigins: ['https://quotes.example'], logger: createLogger({ format: 'json', destination }) });
    try {
      const port = server.port;
      // What the dashboard served by this very server sends: Origin = the host it connected to.
      const own = await openClient(server.wsUrl, { headers: { Origin: `http://127.0.0.1:${port}` } });
      assert.equal((await own.nextOfType('welcome')).type, 'welcome');
      await own.close();
      // Same host, another port or scheme: another origin.
      await assert.rejects(openClient(server.wsUrl, { headers: { Origin: `http://127.0.0.1:${port + 1}` } }), /403/);
      await assert.rejects(openClient(server.wsUrl, { headers: { Origin: `https://127.0.0.1:${port}` } }), /403/);
      const refused = lines.map((l) => JSON.parse(l) as { msg: string; status?: number; reason?: string }).filter((l) => l.msg === 'upgrade refused');
      assert.equal(refused.length, 2);
      assert.equal(refused[0]!.status, 403);
      assert.match(refused[0]!.reason ?? '', /origin http:\/\/127\.0\.0\.1:\d+ is not allowed/);
    } finally {
      await server.close();
    }
  });
});
