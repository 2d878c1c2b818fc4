import { createHash, randomBytes } from 'node:crypto';
import { WEBSOCKET_GUID } from './constants.js';

/**
 * The article's steps 2-6 (RFC 6455 section 4.2.2, item 5.4): take the client's Sec-WebSocket-Key,
 * append the fixed GUID, hash with SHA-1, encode the 20-byte digest in base64. The result goes back
 * in Sec-WebSocket-Accept and proves the server understood a WebSocket handshake (not a cache or a
 * confused HTTP server replaying a response).
 */
export function computeAcceptKey(secWebSocketKey: string): string {
  return createHash('sha1').update(secWebSocketKey + WEBSOCKET_GUID, 'latin1').digest('base64');
}

/** A fresh nonce for Sec-WebSocket-Key: 16 random bytes, base64 (section 4.1, item 7). */
export function generateKey(): string {
  return randomBytes(16).toString('base64');
}

const BASE64_CHAR = new Uint8Array(128);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/') BASE64_CHAR[c.charCodeAt(0)] = 1;

/**
 * True when `key` is base64 of exactly 16 bytes: 22 alphabet characters then "==" (24 in all).
 * A plain loop, no regular expression, so hostile input costs O(24) at most.
 */
export function isValidKey(key: string): boolean {
  if (key.length !== 24 || key.charCodeAt(22) !== 0x3d || key.charCodeAt(23) !== 0x3d) return false;
  for (let i = 0; i < 22; i++) {
    const c = key.charCodeAt(i);
    if (c >= 128 || BASE64_CHAR[c] === 0) return false;
  }
  return true;
}
