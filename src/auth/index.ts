// Public API of the auth layer: JWT verification, per-token symbol entitlements and a per-user
// connection cap. docs/auth.md describes the token format for deployers.
export {
  createJwtVerifier,
  DEFAULT_CLOCK_TOLERANCE_SEC,
  DEFAULT_ENTITLEMENT_CLAIM,
  DEFAULT_JWKS_COOLDOWN_MS,
  DEFAULT_JWKS_FAILURE_BACKOFF_MS,
  DEFAULT_JWKS_TIMEOUT_MS,
  MIN_HS256_SECRET_BYTES,
  type JwtAuthOptions,
  type JwtVerifier,
  type KeySourceKind,
  type Principal,
} from './jwt-verifier.js';
export { Entitlements, MAX_PATTERNS, MAX_PATTERN_LENGTH } from './entitlements.js';
export { UserConnections } from './user-connections.js';
export { AuthError, type AuthErrorReason } from './auth-error.js';
