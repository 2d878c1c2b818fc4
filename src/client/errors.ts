import type { ErrorCode } from '../wire/types.js';

/** Failures the client itself reports (the server's own codes are ErrorCode). */
export type ClientErrorCode =
  /** The connection closed before the command's reply arrived: the command may or may not have run. */
  | 'connection_closed'
  /** stop() was called, or the client stopped for good. */
  | 'stopped'
  /** The client is not started: call start() first. */
  | 'not_started'
  /** A command refused before sending (an invalid interval, an empty symbol list). */
  | 'invalid_argument'
  /** getToken threw or rejected; the attempt is retried with backoff. */
  | 'token_unavailable'
  /** A seq gap the server could not fill (recovery replied with one): applied as is. */
  | 'unrecoverable_gap';

/**
 * A command rejected by the server (`code` is its ErrorCode, `symbols` the ones it named) or failed
 * on the client's side (a ClientErrorCode).
 */
export class TickstreamError extends Error {
  readonly code: ErrorCode | ClientErrorCode;
  /** The symbols the server named (unknown_symbol, forbidden_symbol); [] otherwise. */
  readonly symbols: readonly string[];

  constructor(code: ErrorCode | ClientErrorCode, message: string, symbols: readonly string[] = []) {
    super(message);
    this.name = 'TickstreamError';
    this.code = code;
    this.symbols = symbols;
  }
}
