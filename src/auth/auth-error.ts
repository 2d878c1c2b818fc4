import { errors } from 'jose';

/**
 * Why a token was refused. The server maps `auth_unavailable` to 503 (our key server is down, the
 * client may retry later) and the three others to 401 (the token itself is at fault).
 */
export type AuthErrorReason = 'missing_token' | 'invalid_token' | 'token_expired' | 'auth_unavailable';

/**
 * A refused token. The message is short and safe to log or send to the client: it never contains
 * the token, its claims or the JWKS URL (which may carry credentials). The jose error is not kept
 * as `cause` on purpose: jose's claim errors carry the whole payload, and a logger serialising
 * `cause` would write it out.
 */
export class AuthError extends Error {
  override readonly name = 'AuthError';

  constructor(
    readonly reason: AuthErrorReason,
    message: string,
  ) {
    super(message);
  }

  /** The HTTP status an upgrade refused with this error should get. */
  get httpStatus(): 401 | 503 {
    return this.reason === 'auth_unavailable' ? 503 : 401;
  }
}

/**
 * Thrown by the JWKS fetch wrapper (jwt-verifier.ts) for every failure of the key server itself:
 * unreachable, timed out, non-200, oversized or not a JWK set, or still in its failure backoff.
 * jose rethrows errors from a custom fetch unchanged, so this class is how `toAuthError` tells
 * "our key server is broken" (503) from "this token is bad" (401).
 */
export class JwksUnavailableError extends Error {
  override readonly name = 'JwksUnavailableError';
}

/** Short, fixed texts per jose claim: the claim name comes from jose, never from the token. */
const CLAIM_MESSAGES: Readonly<Record<string, string>> = {
  nbf: 'token is not valid yet (nbf is in the future)',
  iss: 'token issuer (iss) is not the expected one',
  aud: 'token audience (aud) is not the expected one',
  sub: 'token has no subject (sub)',
  exp: 'token has an invalid exp claim',
  iat: 'token has an invalid iat claim',
};

/**
 * Maps anything thrown while verifying a token to an AuthError. Unknown errors become
 * `invalid_token`: refusing is the safe answer, and the message stays generic.
 */
export function toAuthError(err: unknown): AuthError {
  if (err instanceof AuthError) return err;
  if (err instanceof JwksUnavailableError) return new AuthError('auth_unavailable', err.message);
  if (err instanceof errors.JWTExpired) return new AuthError('token_expired', 'token has expired');
  if (err instanceof errors.JWTClaimValidationFailed) {
    return new AuthError('invalid_token', CLAIM_MESSAGES[err.claim] ?? 'token claims are invalid');
  }
  if (err instanceof errors.JOSEAlgNotAllowed) return new AuthError('invalid_token', 'token algorithm is not allowed');
  if (err instanceof errors.JOSENotSupported) return new AuthError('invalid_token', 'token algorithm is not supported');
  if (err instanceof errors.JWSSignatureVerificationFailed) return new AuthError('invalid_token', 'token signature is invalid');
  if (err instanceof errors.JWKSNoMatchingKey) return new AuthError('invalid_token', 'no key matches the token (unknown kid)');
  if (err instanceof errors.JWKSMultipleMatchingKeys) {
    return new AuthError('invalid_token', 'token has no kid and several keys match it');
  }
  // A set that holds private keys or a JWK jose cannot import is the key server's fault, not the
  // client's: 503 tells operators to look at the key server rather than at clients.
  if (err instanceof errors.JWKSInvalid || err instanceof errors.JWKInvalid) {
    return new AuthError('auth_unavailable', 'the JWKS endpoint serves an unusable key set');
  }
  if (err instanceof errors.JWKSTimeout) return new AuthError('auth_unavailable', 'the JWKS endpoint timed out');
  if (err instanceof errors.JWSInvalid || err instanceof errors.JWTInvalid) {
    return new AuthError('invalid_token', 'token is malformed');
  }
  return new AuthError('invalid_token', 'token could not be verified');
}
