/**
 * Token helpers: when a JWT expires (read, not verified: the server verifies; the client only needs
 * to know when to fetch a new one) and when to refresh it in-band.
 */

/** The `exp` of a JWT in ms since the epoch; undefined for a token that is not a JWT or has no numeric exp. */
export function jwtExpiry(token: string): number | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  const json = base64UrlDecode(parts[1]!);
  if (json === undefined) return undefined;
  try {
    const payload: unknown = JSON.parse(json);
    if (typeof payload !== 'object' || payload === null) return undefined;
    const exp = (payload as { exp?: unknown }).exp;
    return typeof exp === 'number' && Number.isFinite(exp) ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * When to send the refresh for a token expiring at `expiresAt`: `aheadMs` before it, but never in
 * the first half of what is left, so a getToken that keeps handing out short-lived tokens makes the
 * client refresh every half-lifetime instead of in a tight loop. Undefined when it is too late to
 * bother (less than `minLeadMs` left): the server closes with 4001 and the client reconnects.
 */
export function refreshDelay(expiresAt: number, now: number, aheadMs: number, minLeadMs = 1_000): number | undefined {
  const left = expiresAt - now;
  if (left < minLeadMs) return undefined;
  return Math.max(left - aheadMs, left / 2);
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** base64url (padding optional) → UTF-8 text, without atob/Buffer so it runs the same everywhere. */
export function base64UrlDecode(text: string): string | undefined {
  const clean = text.replace(/=+$/, '');
  if (clean.length % 4 === 1) return undefined;
  const bytes = new Uint8Array(Math.floor((clean.length * 3) / 4));
  let bits = 0;
  let value = 0;
  let n = 0;
  for (let i = 0; i < clean.length; i++) {
    const digit = ALPHABET.indexOf(clean[i]!);
    if (digit < 0) return undefined;
    value = ((value << 6) | digit) & 0xffffff; // only the last few bits are ever still needed
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes[n++] = (value >> bits) & 0xff;
    }
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, n));
  } catch {
    return undefined;
  }
}
