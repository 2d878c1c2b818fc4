import type { CloseCodeValue } from './constants.js';

/**
 * A violation detected while reading the peer's bytes. The transport answers it by sending a
 * close frame with `closeCode` (1002, 1007, 1009 ...) and failing the connection (section 7.1.7).
 */
export class ProtocolError extends Error {
  readonly closeCode: CloseCodeValue;
  constructor(closeCode: CloseCodeValue, message: string) {
    super(message);
    this.name = 'ProtocolError';
    this.closeCode = closeCode;
  }
}
