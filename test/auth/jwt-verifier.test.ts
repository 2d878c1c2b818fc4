import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { SignJWT, base64url, exportSPKI, generateKeyPair, type CryptoKey, type JWTPayload } from 'jose';
import { AuthError, createJwtVerifier, type AuthErrorReason, type JwtVerifier } from '../../src/auth/index.js';

const SECRET = 'a-test-secret-that-is-long-enough-for-hs256!';
const secretBytes = new TextEncoder().encode(SECRET);
const nowSec = () => Math.floor(Date.now() / 1000);

function sign(claims: JWTPayload, key: CryptoKey | Uint8Array, alg: string): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg, typ: 'JWT' }).sign(key);
}

/** Rejects with an AuthError of this reason, whose message does not leak the token. */
async function refused(verifier: JwtVerifier, token: string, reason: AuthErrorReason): Promise<AuthError> {
  const err = await verifier.verify(token).then(
    () => assert.fail(`expected ${reason}, the token was accepted`),
    (e: unknown) => e,
  );
  assert.ok(err instanceof AuthError, `an AuthError, got ${String(err)}`);
  assert.equal(err.reason, reason, err.message);
  if (token.length > 0) {
    assert.ok(!err.message.includes(token), 'the message does not contain the token');
    for (const part of token.split('.')) if (part.length > 8) assert.ok(!err.message.includes(part));
  }
  return err;
}

describe('createJwtVerifier: configuration', { timeout: 10_000 }, () => {
  test('exactly one key source, named by its flag', async () => {
    await assert.rejects(createJwtVerifier({}), /--auth-jwt-secret.*--auth-jwt-public-key.*--auth-jwks-url/);
    await assert.rejects(
      createJwtVerifier({ secret: SECRET, jwksUrl: 'https://idp.example/jwks.json' }),
      /exactly one key source.*--auth-jwt-secret/,
    );
  });

  test('an HS256 secret under 32 bytes is refused (RFC 7518 3.2)', async () => {
    await assert.rejects(createJwtVerifier({ secret: 'short' }), /at least 32 bytes.*RFC 7518/);
    await assert.rejects(createJwtVerifier({ secret: 'x'.repeat(31) }), /got 31/);
    const ok = await createJwtVerifier({ secret: 'x'.repeat(32) });
    assert.deepEqual(ok.algorithms, ['HS256']);
    assert.equal(ok.keySource, 'secret');
  });

  test('bad PEMs are refused clearly: garbage, private keys, weak RSA, other curves and key types', async () => {
    await assert.rejects(createJwtVerifier({ publicKeyPem: 'not a pem' }), /--auth-jwt-public-key: .*not a PEM public key/);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const privatePem = rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    await assert.rejects(createJwtVerifier({ publicKeyPem: privatePem }), /private key/);
    const weak = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' });
    await assert.rejects(createJwtVerifier({ publicKeyPem: weak.toString() }), /at least 2048 bits/);
    const p384 = generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).publicKey.export({ type: 'spki', format: 'pem' });
    await assert.rejects(createJwtVerifier({ publicKeyPem: p384.toString() }), /secp384r1.*P-256/);
    const ed = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' });
    await assert.rejects(createJwtVerifier({ publicKeyPem: ed.toString() }), /ed25519 keys are not supported/);
  });

  test('the algorithm is pinned by the key type; PKCS#1 RSA public keys are accepted too', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const spki = rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const pkcs1 = rsa.publicKey.export({ type: 'pkcs1', format: 'pem' }).toString();
    assert.deepEqual((await createJwtVerifier({ publicKeyPem: spki })).algorithms, ['RS256']);
    assert.deepEqual((await createJwtVerifier({ publicKeyPem: pkcs1 })).algorithms, ['RS256']);
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' });
    const es = await createJwtVerifier({ publicKeyPem: ec.toString() });
    assert.deepEqual(es.algorithms, ['ES256']);
    assert.equal(es.keySource, 'public_key');
  });

  test('bad JWKS URLs and options', async () => {
    await assert.rejects(createJwtVerifier({ jwksUrl: 'not a url' }), /--auth-jwks-url: not a valid URL/);
    await assert.rejects(createJwtVerifier({ jwksUrl: 'ftp://idp.example/jwks' }), /--auth-jwks-url: must be an http/);
    await assert.rejects(createJwtVerifier({ jwksUrl: 'https://idp.example/jwks', jwksTimeoutMs: -1 }), /jwksTimeoutMs/);
    await assert.rejects(createJwtVerifier({ secret: SECRET, clockToleranceSec: -1 }), /clock tolerance/);
    await assert.rejects(createJwtVerifier({ secret: SECRET, issuer: '' }), /issuer must not be empty/);
    await assert.rejects(createJwtVerifier({ secret: SECRET, entitlementClaim: '' }), /claim name/);
    const jwks = await createJwtVerifier({ jwksUrl: 'https://idp.example/.well-known/jwks.json' });
    assert.deepEqual(jwks.algorithms, ['RS256', 'ES256']);
    assert.equal(jwks.keySource, 'jwks');
  });
});

describe('JwtVerifier: HS256 secret', { timeout: 10_000 }, () => {
  let verifier: JwtVerifier;
  before(async () => {
    verifier = await createJwtVerifier({ secret: SECRET, issuer: 'https://idp.example', audience: 'tickstream' });
  });
  const good = (extra: JWTPayload = {}): JWTPayload => ({
    sub: 'alice',
    iss: 'https://idp.example',
    aud: 'tickstream',
    exp: nowSec() + 3600,
    symbols: ['AAPL', '*.SH'],
    ...extra,
  });

  test('a valid token gives its principal', async () => {
    const exp = nowSec() + 3600;
    const principal = await verifier.verify(await sign(good({ exp }), secretBytes, 'HS256'));
    assert.equal(principal.sub, 'alice');
    assert.equal(principal.expiresAt, exp * 1000);
    assert.ok(principal.entitlements.allows('aapl'));
    assert.ok(principal.entitlements.allows('600519.SH'));
    assert.ok(!principal.entitlements.allows('MSFT'));
    // Surrounding whitespace (e.g. left over from a header) is tolerated.
    assert.equal((await verifier.verify(` ${await sign(good(), secretBytes, 'HS256')} `)).sub, 'alice');
  });

  test('no exp: expiresAt is null; no entitlement claim: everything allowed', async () => {
    const principal = await verifier.verify(await sign(good({ exp: undefined, symbols: undefined }), secretBytes, 'HS256'));
    assert.equal(principal.expiresAt, null);
    assert.equal(principal.entitlements.all, true);
  });

  test('missing or blank token: missing_token', async () => {
    await refused(verifier, '', 'missing_token');
    await refused(verifier, '   ', 'missing_token');
  });

  test('expired: token_expired; within the clock tolerance: accepted', async () => {
    const err = await refused(verifier, await sign(good({ exp: nowSec() - 60 }), secretBytes, 'HS256'), 'token_expired');
    assert.equal(err.httpStatus, 401);
    await verifier.verify(await sign(good({ exp: nowSec() - 2 }), secretBytes, 'HS256'));
  });

  test('nbf in the future: invalid_token; nbf within the tolerance: accepted', async () => {
    const err = await refused(verifier, await sign(good({ nbf: nowSec() + 600 }), secretBytes, 'HS256'), 'invalid_token');
    assert.match(err.message, /not valid yet/);
    await verifier.verify(await sign(good({ nbf: nowSec() + 2 }), secretBytes, 'HS256'));
  });

  test('wrong secret, tampered payload, garbage: invalid_token', async () => {
    const other = new TextEncoder().encode('another-secret-that-is-also-32-bytes-long');
    assert.match((await refused(verifier, await sign(good(), other, 'HS256'), 'invalid_token')).message, /signature/);
    const [h, , s] = (await sign(good(), secretBytes, 'HS256')).split('.');
    const forged = base64url.encode(JSON.stringify(good({ sub: 'mallory', symbols: '*' })));
    await refused(verifier, `${h}.${forged}.${s}`, 'invalid_token');
    assert.match((await refused(verifier, 'not.a.jwt', 'invalid_token')).message, /malformed/);
    await refused(verifier, 'onlyonepart', 'invalid_token');
  });

  test('alg none is refused, with or without a signature part', async () => {
    const header = base64url.encode(JSON.stringify({ alg: 'none', typ: 'JWT' }));
    const payload = base64url.encode(JSON.stringify(good()));
    await refused(verifier, `${header}.${payload}.`, 'invalid_token');
    await refused(verifier, `${header}.${payload}.${base64url.encode('x')}`, 'invalid_token');
  });

  test('a token signed with another algorithm than HS256 is refused', async () => {
    const { privateKey } = await generateKeyPair('RS256');
    const err = await refused(verifier, await sign(good(), privateKey, 'RS256'), 'invalid_token');
    assert.match(err.message, /algorithm/);
  });

  test('missing or non-string sub: invalid_token', async () => {
    assert.match((await refused(verifier, await sign(good({ sub: undefined }), secretBytes, 'HS256'), 'invalid_token')).message, /sub/);
    const numeric = base64url.encode(JSON.stringify({ ...good(), sub: 42 }));
    const header = base64url.encode(JSON.stringify({ alg: 'HS256' }));
    const { createHmac } = await import('node:crypto');
    const mac = createHmac('sha256', SECRET).update(`${header}.${numeric}`).digest('base64url');
    await refused(verifier, `${header}.${numeric}.${mac}`, 'invalid_token');
    await refused(verifier, await sign(good({ sub: '' }), secretBytes, 'HS256'), 'invalid_token');
    await refused(verifier, await sign(good({ sub: 'x'.repeat(256) }), secretBytes, 'HS256'), 'invalid_token');
  });

  test('iss / aud mismatch or absence: invalid_token', async () => {
    assert.match((await refused(verifier, await sign(good({ iss: 'https://evil.example' }), secretBytes, 'HS256'), 'invalid_token')).message, /issuer/);
    await refused(verifier, await sign(good({ iss: undefined }), secretBytes, 'HS256'), 'invalid_token');
    assert.match((await refused(verifier, await sign(good({ aud: 'other-app' }), secretBytes, 'HS256'), 'invalid_token')).message, /audience/);
    await refused(verifier, await sign(good({ aud: undefined }), secretBytes, 'HS256'), 'invalid_token');
    // An audience list containing ours is fine.
    await verifier.verify(await sign(good({ aud: ['other-app', 'tickstream'] }), secretBytes, 'HS256'));
  });

  test('a malformed entitlement claim makes the token invalid; the claim name is configurable', async () => {
    assert.match((await refused(verifier, await sign(good({ symbols: [1, 2] }), secretBytes, 'HS256'), 'invalid_token')).message, /entitlement claim/);
    await refused(verifier, await sign(good({ symbols: { AAPL: true } }), secretBytes, 'HS256'), 'invalid_token');
    const custom = await createJwtVerifier({ secret: SECRET, entitlementClaim: 'https://tickstream/symbols' });
    const p = await custom.verify(await sign({ sub: 'bob', 'https://tickstream/symbols': 'MSFT BTC*' }, secretBytes, 'HS256'));
    assert.ok(p.entitlements.allows('BTCUSD') && p.entitlements.allows('msft') && !p.entitlements.allows('AAPL'));
  });
});

describe('JwtVerifier: public key PEM', { timeout: 10_000 }, () => {
  test('RS256 via PEM: accepted; wrong key refused', async () => {
    const { publicKey, privateKey } = await generateKeyPair('RS256');
    const verifier = await createJwtVerifier({ publicKeyPem: await exportSPKI(publicKey) });
    const p = await verifier.verify(await sign({ sub: 'carol', exp: nowSec() + 60 }, privateKey, 'RS256'));
    assert.equal(p.sub, 'carol');
    const other = await generateKeyPair('RS256');
    await refused(verifier, await sign({ sub: 'carol' }, other.privateKey, 'RS256'), 'invalid_token');
  });

  test('ES256 via PEM: accepted; an RS256 token is refused', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    const verifier = await createJwtVerifier({ publicKeyPem: await exportSPKI(publicKey) });
    assert.equal((await verifier.verify(await sign({ sub: 'dave' }, privateKey, 'ES256'))).sub, 'dave');
    const rsa = await generateKeyPair('RS256');
    await refused(verifier, await sign({ sub: 'dave' }, rsa.privateKey, 'RS256'), 'invalid_token');
  });

  test('algorithm confusion: an HS256 token MACed with the public key PEM as secret is refused', async () => {
    for (const alg of ['RS256', 'ES256'] as const) {
      const { publicKey } = await generateKeyPair(alg);
      const pem = await exportSPKI(publicKey);
      const verifier = await createJwtVerifier({ publicKeyPem: pem });
      const forged = await sign({ sub: 'mallory', symbols: '*' }, new TextEncoder().encode(pem), 'HS256');
      const err = await refused(verifier, forged, 'invalid_token');
      assert.match(err.message, /algorithm/);
    }
  });
});
