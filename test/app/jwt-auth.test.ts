// JWT authentication end to end: upgrade refusals (401 + WWW-Authenticate, 429 per user),
// entitlements on subscriptions, snapshots and REST, expiry (4001) and refresh, and a JWKS key
// source served by a local HTTP server through the real CLI.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import type { TickstreamServer } from '../../src/app/server.js';
import { listenHttp } from '../helpers/events.js';
import { rawUpgrade } from '../helpers/raw-client.js';
import { openClient, quotesOf, spawnCli, startTestServer, waitForListening } from '../helpers/server.js';

const SECRET = 'a-test-secret-that-is-long-enough-for-hs256';
const KEY = new TextEncoder().encode(SECRET);

async function token(claims: Record<string, unknown>, options: { sub?: string; expiresInSec?: number } = {}): Promise<string> {
  const jwt = new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setSubject(options.sub ?? 'alice').setIssuedAt();
  if (options.expiresInSec !== undefined) jwt.setExpirationTime(Math.floor(Date.now() / 1000) + options.expiresInSec);
  return jwt.sign(KEY);
}

/** Status line and headers of a refused upgrade. */
async function refusedUpgrade(port: number, path: string, headers: Record<string, string> = {}): Promise<string> {
  return rawUpgrade(port, path, headers).then(
    (c) => {
      c.socket.destroy();
      throw new Error('accepted');
    },
    (e: Error) => e.message,
  );
}

describe('JWT authentication (HS256)', { timeout: 20_000 }, () => {
  let server: TickstreamServer;
  before(async () => {
    server = await startTestServer({ appHeartbeatMs: 0, jwt: { secret: SECRET, maxConnectionsPerUser: 2 } });
  });
  after(async () => {
    await server.close();
  });

  test('no token: 401 with WWW-Authenticate: Bearer', async () => {
    const answer = await refusedUpgrade(server.port, '/?symbols=AAPL');
    assert.match(answer, /^upgrade refused: HTTP\/1\.1 401/);
    assert.match(answer, /\r\nWWW-Authenticate: Bearer realm="tickstream"\r\n/i);
  });

  test('a bad or expired token: 401 naming invalid_token, and the reason', async () => {
    const forged = (await token({})).slice(0, -4) + 'AAAA';
    assert.match(await refusedUpgrade(server.port, `/?token=${forged}`), /401[\s\S]*error="invalid_token"[\s\S]*signature/);
    const expired = await token({}, { expiresInSec: -60 });
    assert.match(await refusedUpgrade(server.port, '/', { Authorization: `Bearer ${expired}` }), /401[\s\S]*expired/);
  });

  test('entitlements: forbidden symbols get forbidden_symbol, "*" means every entitled symbol', async () => {
    const jwt = await token({ symbols: ['AAPL', '*.SH'] });
    const client = await openClient(`${server.wsUrl}?symbols=AAPL,MSFT`, { headers: { Authorization: `Bearer ${jwt}` } });
    const welcome = await client.nextOfType('welcome');
    assert.deepEqual(welcome.symbols, ['AAPL']);
    const error = await client.nextOfType('error');
    assert.equal(error.code, 'forbidden_symbol');
    assert.deepEqual(error.symbols, ['MSFT']);

    client.send({ type: 'subscribe', symbols: ['*'], id: 1 });
    const subs = await client.next((m) => m.type === 'subscriptions' && m.id === 1);
    const list = subs.symbols as string[];
    assert.ok(list.includes('AAPL') && list.includes('600519.SH'));
    assert.ok(list.every((s) => s === 'AAPL' || s.endsWith('.SH')), `only entitled symbols: ${list.join(',')}`);

    client.send({ type: 'snapshot', symbols: ['*'], id: 2 });
    const snap = await client.next((m) => m.type === 'snapshot' && m.id === 2);
    assert.ok(quotesOf(snap).every((q) => q.symbol === 'AAPL' || q.symbol.endsWith('.SH')));

    client.send({ type: 'snapshot', symbols: ['NVDA', 'AAPL'], id: 3 });
    const partial = await client.next((m) => m.type === 'snapshot' && m.id === 3);
    assert.deepEqual(quotesOf(partial).map((q) => q.symbol), ['AAPL']);
    const refused = await client.next((m) => m.type === 'error' && m.id === 3);
    assert.deepEqual(refused.symbols, ['NVDA']);

    // Pushes carry entitled symbols only.
    const push = await client.next((m) => m.type === 'quotes');
    assert.ok(quotesOf(push).every((q) => q.symbol === 'AAPL' || q.symbol.endsWith('.SH')));
    await client.close();
  });

  test('a token without the entitlement claim may receive everything', async () => {
    const client = await openClient(`${server.wsUrl}?symbols=*`, { headers: { Authorization: `Bearer ${await token({})}` } });
    assert.deepEqual((await client.nextOfType('welcome')).symbols, ['*']);
    await client.close();
  });

  test('the token expiring closes the connection with 4001 "token expired"', async () => {
    const client = await openClient(`${server.wsUrl}?symbols=AAPL`, { headers: { Authorization: `Bearer ${await token({}, { expiresInSec: 1 })}` } });
    await client.nextOfType('welcome');
    assert.deepEqual(await client.closed, { code: 4001, reason: 'token expired' });
  });

  test('refresh with a newer token of the same user keeps the connection past the old expiry', async () => {
    const client = await openClient(`${server.wsUrl}?symbols=AAPL,600519.SH&token=${await token({ symbols: ['AAPL', '600519.SH'] }, { expiresInSec: 2 })}`);
    await client.nextOfType('welcome');
    // Errors first: garbage, another user's token. Neither changes anything.
    client.send({ type: 'refresh', token: 'not-a-jwt', id: 'r0' });
    assert.equal((await client.next((m) => m.id === 'r0')).code, 'invalid_token');
    client.send({ type: 'refresh', token: await token({}, { sub: 'mallory', expiresInSec: 60 }), id: 'r1' });
    assert.equal((await client.next((m) => m.id === 'r1')).code, 'forbidden');
    // The real refresh narrows the entitlements: 600519.SH is dropped from the subscription.
    const fresh = await token({ symbols: ['AAPL'] }, { expiresInSec: 60 });
    client.send({ type: 'refresh', token: fresh, id: 'r2' });
    const refreshed = await client.next((m) => m.id === 'r2');
    assert.equal(refreshed.type, 'refreshed');
    assert.equal(refreshed.sub, 'alice');
    assert.deepEqual(refreshed.removed, ['600519.SH']);
    assert.ok((refreshed.expiresAt as number) > Date.now() + 50_000);
    assert.deepEqual((await client.nextOfType('subscriptions')).symbols, ['AAPL']);
    // Past the first token's expiry, still connected: the next quotes arrive.
    const until = Date.now() + 3_000;
    while (Date.now() < until) await client.nextOfType('quotes', 3_000);
    await client.close();
  });

  test('per-user connection cap: the third connection of one user gets 429', async () => {
    const jwt = await token({}, { sub: 'bob' });
    const a = await openClient(`${server.wsUrl}?symbols=AAPL&token=${jwt}`);
    const b = await openClient(`${server.wsUrl}?symbols=AAPL&token=${jwt}`);
    assert.match(await refusedUpgrade(server.port, `/?token=${jwt}`), /429[\s\S]*too many connections for this user/);
    const sse = await fetch(`${server.url}/sse?symbols=AAPL`, { headers: { Authorization: `Bearer ${jwt}` } });
    assert.equal(sse.status, 429, 'SSE streams count against the same cap');
    await sse.text();
    const other = await openClient(`${server.wsUrl}?symbols=AAPL&token=${await token({}, { sub: 'carol' })}`);
    await Promise.all([a.close(), b.close(), other.close()]);
  });

  test('REST /api/quotes: 401 without a token, filtered with one, 403 for a forbidden symbol', async () => {
    const none = await fetch(`${server.url}/api/quotes`);
    assert.equal(none.status, 401);
    assert.match(none.headers.get('www-authenticate') ?? '', /^Bearer/);
    await none.text();
    const jwt = await token({ symbols: ['AAPL', 'MSFT'] });
    const all = (await (await fetch(`${server.url}/api/quotes`, { headers: { Authorization: `Bearer ${jwt}` } })).json()) as { quotes: { symbol: string }[] };
    assert.deepEqual(all.quotes.map((q) => q.symbol).sort(), ['AAPL', 'MSFT']);
    const forbidden = await fetch(`${server.url}/api/quotes?symbols=AAPL,NVDA&token=${jwt}`);
    assert.equal(forbidden.status, 403);
    assert.deepEqual(((await forbidden.json()) as { symbols: string[] }).symbols, ['NVDA']);
  });
});

describe('JWT authentication with a JWKS endpoint (ES256), through the CLI', { timeout: 30_000 }, () => {
  test('tokens signed by a key of the set are admitted; the server names its key source in the log', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    const jwks = await listenHttp((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    const cli = spawnCli(['serve', '--host', '127.0.0.1', '--port', '0', '--log-format', 'json', '--auth-jwks-url', `http://127.0.0.1:${jwks.port}/jwks.json`, '--auth-jwt-issuer', 'https://id.example']);
    try {
      const port = await waitForListening(cli);
      assert.ok(cli.lines.some((l) => l.includes('JWT authentication on') && l.includes('"jwks"')));
      const good = await new SignJWT({ symbols: 'AAPL MSFT' })
        .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
        .setSubject('dave')
        .setIssuer('https://id.example')
        .setExpirationTime('1h')
        .sign(privateKey);
      const client = await openClient(`ws://127.0.0.1:${port}/?symbols=*`, { headers: { Authorization: `Bearer ${good}` } });
      const subscribed = (await client.nextOfType('welcome')).symbols as string[];
      assert.deepEqual([...subscribed].sort(), ['AAPL', 'MSFT']);
      await client.close();
      const wrongIssuer = await new SignJWT({}).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).setSubject('dave').setIssuer('https://evil.example').sign(privateKey);
      assert.match(await refusedUpgrade(port, `/?token=${wrongIssuer}`), /401[\s\S]*issuer/);
      // The token never appears in the log.
      assert.ok(!cli.lines.some((l) => l.includes(good) || l.includes(wrongIssuer)), 'no token in the log');
    } finally {
      cli.kill();
      await cli.exited;
      await jwks.close();
    }
  });
});
