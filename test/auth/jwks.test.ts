import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';
import { AuthError, createJwtVerifier, type AuthErrorReason, type JwtVerifier } from '../../src/auth/index.js';

type Mode = 'ok' | 'error' | 'hang' | 'garbage' | 'huge';

/** A local key server on 127.0.0.1 that counts the requests it gets. */
interface JwksServer {
  url: string;
  requests: number;
  keys: JWK[];
  mode: Mode;
  close(): Promise<void>;
}

async function startJwksServer(keys: JWK[] = []): Promise<JwksServer> {
  const state: JwksServer = { url: '', requests: 0, keys, mode: 'ok', close: async () => {} };
  const server: Server = createServer((req, res) => {
    state.requests++;
    if (req.url !== '/jwks.json') return void res.writeHead(404).end();
    switch (state.mode) {
      case 'ok':
        return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: state.keys }));
      case 'error':
        return void res.writeHead(500).end('oops');
      case 'garbage':
        return void res.writeHead(200, { 'content-type': 'text/html' }).end('<html>login page</html>');
      case 'huge':
        return void res.writeHead(200).end(JSON.stringify({ keys: [], pad: 'x'.repeat(2 * 1024 * 1024) }));
      case 'hang':
        return; // never answers: the verifier's timeout must fire
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
  state.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return state;
}

interface SigningKey {
  kid: string;
  alg: 'ES256' | 'RS256';
  privateKey: CryptoKey;
  jwk: JWK;
}

async function signingKey(kid: string, alg: 'ES256' | 'RS256' = 'ES256'): Promise<SigningKey> {
  const { publicKey, privateKey } = await generateKeyPair(alg);
  return { kid, alg, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

function tokenFor(key: SigningKey, sub = 'alice', kid = key.kid): Promise<string> {
  return new SignJWT({ sub, symbols: ['AAPL'] })
    .setProtectedHeader({ alg: key.alg, kid })
    .setExpirationTime('1h')
    .sign(key.privateKey);
}

async function reasonOf(verifier: JwtVerifier, token: string): Promise<AuthErrorReason> {
  const err = await verifier.verify(token).then(
    () => assert.fail('the token was accepted'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof AuthError, `an AuthError, got ${String(err)}`);
  assert.ok(!err.message.includes('127.0.0.1'), 'the JWKS URL is not in the message');
  return err.reason;
}

describe('JwtVerifier: JWKS', { timeout: 10_000 }, () => {
  let es: SigningKey;
  let rs: SigningKey;
  let server: JwksServer;
  before(async () => {
    es = await signingKey('es-1', 'ES256');
    rs = await signingKey('rs-1', 'RS256');
  });
  after(async () => server?.close());

  test('ES256 and RS256 tokens verify against a JWKS served over HTTP; the set is fetched once', { timeout: 10_000 }, async () => {
    server = await startJwksServer([es.jwk, rs.jwk]);
    const verifier = await createJwtVerifier({ jwksUrl: server.url });
    assert.equal(server.requests, 0, 'nothing is fetched before the first token');
    const p = await verifier.verify(await tokenFor(es, 'alice'));
    assert.equal(p.sub, 'alice');
    assert.ok(p.entitlements.allows('AAPL') && !p.entitlements.allows('MSFT'));
    assert.equal((await verifier.verify(await tokenFor(rs, 'bob'))).sub, 'bob');
    // Concurrent verifications share the cached set.
    await Promise.all(Array.from({ length: 20 }, async () => verifier.verify(await tokenFor(es))));
    assert.equal(server.requests, 1);
    await server.close();
  });

  test('a key from another issuer, alg none and an HS256 token are refused as invalid_token', { timeout: 10_000 }, async () => {
    server = await startJwksServer([es.jwk]);
    const verifier = await createJwtVerifier({ jwksUrl: server.url });
    const stranger = await signingKey('es-1', 'ES256'); // same kid, different key
    assert.equal(await reasonOf(verifier, await tokenFor(stranger)), 'invalid_token');
    const enc = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');
    assert.equal(await reasonOf(verifier, `${enc({ alg: 'none', kid: 'es-1' })}.${enc({ sub: 'x' })}.`), 'invalid_token');
    const hs = await new SignJWT({ sub: 'x' })
      .setProtectedHeader({ alg: 'HS256', kid: 'es-1' })
      .sign(new TextEncoder().encode(JSON.stringify(es.jwk)));
    assert.equal(await reasonOf(verifier, hs), 'invalid_token');
    await server.close();
  });

  test('a token without kid: accepted when one key fits, refused when several do', { timeout: 10_000 }, async () => {
    server = await startJwksServer([es.jwk, rs.jwk]);
    const verifier = await createJwtVerifier({ jwksUrl: server.url });
    const noKid = (key: SigningKey) => new SignJWT({ sub: 'eve' }).setProtectedHeader({ alg: key.alg }).sign(key.privateKey);
    assert.equal((await verifier.verify(await noKid(es))).sub, 'eve', 'only one ES256 key in the set');
    const es2 = await signingKey('es-2', 'ES256');
    server.keys = [es.jwk, es2.jwk];
    const two = await createJwtVerifier({ jwksUrl: server.url });
    assert.equal(await reasonOf(two, await noKid(es)), 'invalid_token');
    await server.close();
  });

  test('a flood of unknown kids does not refetch within the cooldown; after it, one refetch picks up a new key', { timeout: 10_000 }, async (t) => {
    t.mock.timers.enable({ apis: ['Date'], now: Date.now() });
    server = await startJwksServer([es.jwk]);
    const verifier = await createJwtVerifier({ jwksUrl: server.url, jwksCooldownMs: 30_000 });
    await verifier.verify(await tokenFor(es));
    assert.equal(server.requests, 1);

    const flood = await Promise.all(
      Array.from({ length: 200 }, async (_, i) => reasonOf(verifier, await tokenFor(es, 'mallory', `bogus-${i}`))),
    );
    assert.ok(flood.every((r) => r === 'invalid_token'));
    for (let i = 0; i < 50; i++) assert.equal(await reasonOf(verifier, await tokenFor(es, 'mallory', `seq-${i}`)), 'invalid_token');
    assert.equal(server.requests, 1, 'no refetch inside the cooldown');

    // The issuer rotates: the new kid is unknown until the cooldown has passed.
    const next = await signingKey('es-2', 'ES256');
    server.keys = [es.jwk, next.jwk];
    assert.equal(await reasonOf(verifier, await tokenFor(next)), 'invalid_token');
    assert.equal(server.requests, 1);
    t.mock.timers.tick(30_001);
    assert.equal((await verifier.verify(await tokenFor(next, 'rotated'))).sub, 'rotated');
    assert.equal(server.requests, 2, 'exactly one refetch once the cooldown is over');
    for (let i = 0; i < 50; i++) await reasonOf(verifier, await tokenFor(es, 'mallory', `again-${i}`));
    assert.equal(server.requests, 2, 'and the cooldown starts again');
    await server.close();
  });

  test('JWKS endpoint down (connection refused): auth_unavailable, fast', { timeout: 10_000 }, async () => {
    server = await startJwksServer([es.jwk]);
    const url = server.url;
    await server.close();
    const verifier = await createJwtVerifier({ jwksUrl: url, jwksTimeoutMs: 2_000 });
    const started = performance.now();
    const err = await verifier.verify(await tokenFor(es)).catch((e: unknown) => e);
    assert.ok(err instanceof AuthError);
    assert.equal(err.reason, 'auth_unavailable');
    assert.equal(err.httpStatus, 503);
    assert.match(err.message, /unreachable/);
    assert.ok(performance.now() - started < 2_000, 'answered before the fetch timeout');
  });

  test('JWKS endpoint that never answers: auth_unavailable once the timeout fires', { timeout: 10_000 }, async () => {
    server = await startJwksServer([es.jwk]);
    server.mode = 'hang';
    const verifier = await createJwtVerifier({ jwksUrl: server.url, jwksTimeoutMs: 300 });
    const started = performance.now();
    const err = await verifier.verify(await tokenFor(es)).catch((e: unknown) => e);
    const elapsed = performance.now() - started;
    assert.ok(err instanceof AuthError);
    assert.equal(err.reason, 'auth_unavailable');
    assert.match(err.message, /did not answer within 300 ms/);
    assert.ok(elapsed >= 250 && elapsed < 5_000, `timed out after ${Math.round(elapsed)} ms`);
    await server.close();
  });

  test('a failing endpoint is not hammered: one request per failure backoff, then recovery', { timeout: 10_000 }, async (t) => {
    t.mock.timers.enable({ apis: ['Date'], now: Date.now() });
    server = await startJwksServer([es.jwk]);
    server.mode = 'error';
    const verifier = await createJwtVerifier({ jwksUrl: server.url, jwksFailureBackoffMs: 2_000 });
    const token = await tokenFor(es);
    const concurrent = await Promise.all(Array.from({ length: 50 }, () => reasonOf(verifier, token)));
    assert.ok(concurrent.every((r) => r === 'auth_unavailable'));
    for (let i = 0; i < 50; i++) assert.equal(await reasonOf(verifier, token), 'auth_unavailable');
    assert.equal(server.requests, 1, 'one request for the whole flood');

    t.mock.timers.tick(2_001);
    assert.equal(await reasonOf(verifier, token), 'auth_unavailable');
    assert.equal(server.requests, 2, 'one more once the backoff is over');

    server.mode = 'ok';
    t.mock.timers.tick(2_001);
    assert.equal((await verifier.verify(token)).sub, 'alice', 'recovers when the endpoint is back');
    assert.equal(server.requests, 3);
    await server.close();
  });

  test('an endpoint answering something other than a key set: auth_unavailable', { timeout: 10_000 }, async () => {
    for (const mode of ['garbage', 'huge', 'error'] as const) {
      server = await startJwksServer([es.jwk]);
      server.mode = mode;
      const verifier = await createJwtVerifier({ jwksUrl: server.url });
      const err = await verifier.verify(await tokenFor(es)).catch((e: unknown) => e);
      assert.ok(err instanceof AuthError);
      assert.equal(err.reason, 'auth_unavailable', mode);
      await server.close();
    }
  });
});
