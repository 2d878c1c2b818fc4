/**
 * Close frame payloads (RFC 6455 sections 5.5.1, 7.4): a 2-byte big-endian status code followed
 * by an optional UTF-8 reason.
 */
import { CloseCode } from './constants.js';
import { ProtocolError } from './errors.js';
import { isValidUtf8 } from './utf8.js';

/**
 * Codes that may appear in a close frame on the wire: the registered 1000-1003 and 1007-1014
 * (IANA registry, section 11.7), plus 3000-3999 (libraries, frameworks) and 4000-4999 (private use).
 * 1004 is reserved, 1005/1006/1015 are "never sent" pseudo-codes, 1016-2999 are unassigned.
 */
export function isValidCloseCode(code: number): boolean {
  return (
    (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999)
  );
}

export interface ClosePayload {
  code: number;
  reason: string;
}

/**
 * Reads a received close payload. An empty payload means "no status" (1005). Returns (never throws)
 * a ProtocolError: 1002 for a 1-byte payload or a code not allowed on the wire, 1007 for a reason
 * that is not valid UTF-8.
 */
export function parseClosePayload(payload: Buffer): ClosePayload | ProtocolError {
  if (payload.length === 0) return { code: CloseCode.NoStatus, reason: '' };
  if (payload.length === 1) {
    return new ProtocolError(CloseCode.ProtocolError, 'close frame payload of 1 byte');
  }
  const code = payload.readUInt16BE(0);
  if (!isValidCloseCode(code)) {
    return new ProtocolError(CloseCode.ProtocolError, `invalid close code ${code}`);
  }
  if (payload.length === 2) return { code, reason: '' };
  const reasonBytes = payload.subarray(2);
  if (!isValidUtf8(reasonBytes)) {
    return new ProtocolError(CloseCode.InvalidPayload, 'close reason is not valid UTF-8');
  }
  return { code, reason: reasonBytes.toString('utf8') };
}
