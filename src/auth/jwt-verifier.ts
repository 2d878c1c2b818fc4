import { createPublicKey, type KeyObject } from 'node:crypto';
import {
  createRemoteJWKSet,
  customFetch,
  importSPKI,
  jwtVerify,
  type CryptoKey,
  type FetchImplementation,
  type JWTPayload,
  type RemoteJWKSet,
} from 'jose';
import { AuthError, JwksUnavailableError, toAuthError } from './auth-error.js';
import { Entitlements } from './entitlements.js';

export interface JwtAuthOptions {
  /** HS256 shared secret (the --auth-jwt-secret flag). */
  secret?: string;
  /** PEM text of an SPKI public key (RS256 or ES256) (the --auth-jwt-public-key FILE flag; the caller reads the file). */
  publicKeyPem?: string;
  /** JWKS endpoint (RS256/ES256), fetched and cached by jose's createRemoteJWKSet (the --auth-jwks-url flag). */
  jwksUrl?: string;
  /** Optional expected `iss` / `aud`. */
  issuer?: string;
  audience?: string;
  /** Claim holding the entitlements (default 'symbols'). */
  entitlementClaim?: string;
  /** Clock skew tolerated on exp/nbf, seconds (default 5). */
  clockToleranceSec?: number;
  /** JWKS only: abort a key-set fetch after this long, ms (default 5000). */
  jwksTimeoutMs?: number;
  /** JWKS only: after a successful fetch, an unknown `kid` triggers no refetch for this long, ms (default 30000). */
  jwksCooldownMs?: number;
  /** JWKS only: after a failed fetch, answer `auth_unavailable` without refetching for this long, ms (default 2000). */
  jwksFailureBackoffMs?: number;
}

export interface Principal {
  /** The token's `sub`: required, a non-empty string of at most 255 characters. */
  sub: string;
  /** ms since epoch from `exp`, null when the token has no exp. */
  expiresAt: number | null;
  entitlements: Entitlements;
}

export type KeySourceKind = 'secret' | 'public_key' | 'jwks';

export interface JwtVerifier {
  /** Resolves to the token's principal, or rejects with an AuthError (never anything else). */
  verify(token: string): Promise<Principal>;
  /** The only `alg` values accepted, pinned by the key source. */
  readonly algorithms: readonly string[];
  /** Which of the three key sources is in use (for the startup log line). */
  readonly keySource: KeySourceKind;
}

export const DEFAULT_ENTITLEMENT_CLAIM = 'symbols';
export const DEFAULT_CLOCK_TOLERANCE_SEC = 5;
/** RFC 7518 3.2: an HS256 key must be at least as long as the hash output, 256 bits. */
export const MIN_HS256_SECRET_BYTES = 32;
export const DEFAULT_JWKS_TIMEOUT_MS = 5_000;
export const DEFAULT_JWKS_COOLDOWN_MS = 30_000;
export const DEFAULT_JWKS_FAILURE_BACKOFF_MS = 2_000;
/** A key set is a few KiB; a bigger answer is a misconfigured or hostile endpoint, not keys. */
const MAX_JWKS_BYTES = 1024 * 1024;
/** `sub` keys per-user maps and appears in logs: bound it. */
const MAX_SUB_LENGTH = 255;
const KEY_FLAGS = '--auth-jwt-secret, --auth-jwt-public-key or --auth-jwks-url';
const P256 = 'prime256v1';
const MIN_RSA_BITS = 2048;

type VerifyKey = Uint8Array | CryptoKey | RemoteJWKSet;
interface KeySource {
  kind: KeySourceKind;
  key: VerifyKey;
  algorithms: readonly string[];
}

/**
 * Builds a verifier from exactly one key source. Configuration mistakes throw a plain Error naming
 * the flag (the CLI turns it into a startup failure); token problems later are AuthErrors.
 */
export async function createJwtVerifier(options: JwtAuthOptions): Promise<JwtVerifier> {
  const source = await keySourceOf(options);
  const claim = options.entitlementClaim ?? DEFAULT_ENTITLEMENT_CLAIM;
  if (claim === '') throw new Error('the entitlement claim name must not be empty');
  const clockTolerance = options.clockToleranceSec ?? DEFAULT_CLOCK_TOLERANCE_SEC;
  if (!Number.isFinite(clockTolerance) || clockTolerance < 0) {
    throw new Error(`the JWT clock tolerance must be a non-negative number of seconds, got ${clockTolerance}`);
  }
  for (const [name, value] of [['issuer', options.issuer], ['audience', options.audience]] as const) {
    if (value === '') throw new Error(`the expected JWT ${name} must not be empty (leave it out to accept any)`);
  }
  const verifyOptions = {
    algorithms: [...source.algorithms],
    issuer: options.issuer,
    audience: options.audience,
    clockTolerance,
    requiredClaims: ['sub'],
  };

  return {
    algorithms: source.algorithms,
    keySource: source.kind,
    async verify(token: string): Promise<Principal> {
      const text = typeof token === 'string' ? token.trim() : '';
      if (text === '') throw new AuthError('missing_token', 'no token was presented');
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(text, source.key, verifyOptions));
      } catch (err) {
        throw toAuthError(err);
      }
      return principalOf(payload, claim);
    },
  };
}

function principalOf(payload: JWTPayload, claim: string): Principal {
  const { sub, exp } = payload;
  if (typeof sub !== 'string' || sub === '' || sub.length > MAX_SUB_LENGTH) {
    throw new AuthError('invalid_token', `token subject (sub) must be a string of 1 to ${MAX_SUB_LENGTH} characters`);
  }
  // jose has already checked that exp, when present, is a number and not in the past.
  const expiresAt = typeof exp === 'number' ? exp * 1000 : null;
  const entitlements = Entitlements.fromClaim(Object.hasOwn(payload, claim) ? payload[claim] : undefined);
  return { sub, expiresAt, entitlements };
}

async function keySourceOf(options: JwtAuthOptions): Promise<KeySource> {
  const given = [options.secret, options.publicKeyPem, options.jwksUrl].filter((v) => v !== undefined).length;
  if (given !== 1) {
    throw new Error(
      given === 0
        ? `JWT authentication needs a key: give one of ${KEY_FLAGS}`
        : `JWT authentication takes exactly one key source: give only one of ${KEY_FLAGS}`,
    );
  }
  if (options.secret !== undefined) return secretSource(options.secret);
  if (options.publicKeyPem !== undefined) return publicKeySource(options.publicKeyPem);
  return jwksSource(options.jwksUrl ?? '', options);
}

function secretSource(secret: string): KeySource {
  const key = new TextEncoder().encode(secret);
  if (key.length < MIN_HS256_SECRET_BYTES) {
    throw new Error(
      `--auth-jwt-secret: an HS256 secret must be at least ${MIN_HS256_SECRET_BYTES} bytes (RFC 7518 section 3.2), got ${key.length}`,
    );
  }
  return { kind: 'secret', key, algorithms: Object.freeze(['HS256']) };
}

/**
 * The algorithm comes from the key, never from the token: an RSA key verifies RS256 only, a P-256
 * key ES256 only. That pinning is what defeats algorithm confusion (an HS256 token "signed" with
 * the public key's PEM as the secret) and `alg: none`.
 */
async function publicKeySource(pem: string): Promise<KeySource> {
  const flag = '--auth-jwt-public-key';
  // createPublicKey would happily derive the public half of a private key; a private key has no
  // business on a server that only verifies, so say so instead of quietly accepting it.
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem)) {
    throw new Error(`${flag}: the file holds a private key; give the public key (-----BEGIN PUBLIC KEY-----)`);
  }
  let keyObject: KeyObject;
  try {
    keyObject = createPublicKey(pem);
  } catch {
    throw new Error(`${flag}: the file is not a PEM public key (expected -----BEGIN PUBLIC KEY-----)`);
  }
  const alg = algorithmFor(keyObject, flag);
  // Re-exported as SPKI so PKCS#1 RSA keys and certificates, which node parses, import too.
  const spki = keyObject.export({ type: 'spki', format: 'pem' }).toString();
  const key = await importSPKI(spki, alg);
  return { kind: 'public_key', key, algorithms: Object.freeze([alg]) };
}

function algorithmFor(keyObject: KeyObject, flag: string): 'RS256' | 'ES256' {
  const type = keyObject.asymmetricKeyType;
  const details = keyObject.asymmetricKeyDetails ?? {};
  if (type === 'rsa') {
    const bits = details.modulusLength ?? 0;
    if (bits < MIN_RSA_BITS) throw new Error(`${flag}: an RSA key needs at least ${MIN_RSA_BITS} bits, this one has ${bits}`);
    return 'RS256';
  }
  if (type === 'ec') {
    if (details.namedCurve !== P256) {
      throw new Error(`${flag}: EC curve ${details.namedCurve ?? 'unknown'} is not supported; ES256 needs a P-256 key`);
    }
    return 'ES256';
  }
  throw new Error(`${flag}: ${type ?? 'unknown'} keys are not supported; use an RSA key (RS256) or an EC P-256 key (ES256)`);
}

function jwksSource(jwksUrl: string, options: JwtAuthOptions): KeySource {
  const flag = '--auth-jwks-url';
  let url: URL;
  try {
    url = new URL(jwksUrl);
  } catch {
    throw new Error(`${flag}: not a valid URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error(`${flag}: must be an http:// or https:// URL`);
  const timeoutMs = durationOption('jwksTimeoutMs', options.jwksTimeoutMs, DEFAULT_JWKS_TIMEOUT_MS);
  const cooldownMs = durationOption('jwksCooldownMs', options.jwksCooldownMs, DEFAULT_JWKS_COOLDOWN_MS);
  const backoffMs = durationOption('jwksFailureBackoffMs', options.jwksFailureBackoffMs, DEFAULT_JWKS_FAILURE_BACKOFF_MS);
  const key = createRemoteJWKSet(url, {
    timeoutDuration: timeoutMs,
    cooldownDuration: cooldownMs,
    [customFetch]: guardedFetch(timeoutMs, backoffMs),
  });
  return { kind: 'jwks', key, algorithms: Object.freeze(['RS256', 'ES256']) };
}

function durationOption(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`${name} must be a non-negative integer of ms, got ${value}`);
  return value;
}

/**
 * The fetch jose uses for the key set. jose already shares one in-flight fetch between concurrent
 * verifications and applies its cooldown after a *successful* fetch; this wrapper adds what it
 * lacks:
 * - a backoff after a *failed* fetch, so a flood of connections while the key server is down costs
 *   it one request per backoff window instead of one per connection;
 * - a size cap on the answer;
 * - one error class (JwksUnavailableError) for every endpoint failure, so those map to
 *   `auth_unavailable` (503) and never to a client's fault.
 * Messages never include the URL, which may carry credentials.
 */
function guardedFetch(timeoutMs: number, backoffMs: number): FetchImplementation {
  let retryAt = 0;
  return async (url, init) => {
    if (Date.now() < retryAt) throw new JwksUnavailableError('the JWKS endpoint failed recently; retrying shortly');
    try {
      const response = await fetch(url, init);
      if (response.status !== 200) {
        await response.body?.cancel();
        throw new JwksUnavailableError(`the JWKS endpoint answered HTTP ${response.status}`);
      }
      const body = await readCapped(response, MAX_JWKS_BYTES);
      if (!isKeySet(body)) throw new JwksUnavailableError('the JWKS endpoint did not answer a JSON Web Key Set');
      return new Response(body, { status: 200, headers: { 'content-type': 'application/json' } });
    } catch (err) {
      retryAt = Date.now() + backoffMs;
      if (err instanceof JwksUnavailableError) throw err;
      if (init.signal.aborted) throw new JwksUnavailableError(`the JWKS endpoint did not answer within ${timeoutMs} ms`);
      throw new JwksUnavailableError('the JWKS endpoint is unreachable');
    }
  };
}

async function readCapped(response: Response, maxBytes: number): Promise<string> {
  const declared = Number(response.headers.get('content-length') ?? '0');
  if (declared > maxBytes) {
    await response.body?.cancel();
    throw new JwksUnavailableError(`the JWKS answer is larger than ${maxBytes} bytes`);
  }
  if (response.body === null) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw new JwksUnavailableError(`the JWKS answer is larger than ${maxBytes} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function isKeySet(body: string): boolean {
  try {
    const parsed: unknown = JSON.parse(body);
    return typeof parsed === 'object' && parsed !== null && Array.isArray((parsed as { keys?: unknown }).keys);
  } catch {
    return false;
  }
}
