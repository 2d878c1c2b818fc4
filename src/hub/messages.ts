import type { CommandId } from './quote-encoder.js';

/**
 * Builders for the low-rate control messages (one per client request or per connection). They use
 * JSON.stringify: clarity over speed here; the hot path is in quote-encoder.ts.
 */

export type ErrorCode = 'bad_json' | 'bad_request' | 'unknown_command' | 'unknown_symbol' | 'too_many_symbols';

export interface WelcomeFields {
  server: string;
  version: string;
  interval: number;
  heartbeat: number;
  symbols: readonly string[];
}

export function welcomeMessage(fields: WelcomeFields): string {
  return JSON.stringify({ type: 'welcome', ...fields });
}

export function subscriptionsMessage(id: CommandId | undefined, symbols: readonly string[]): string {
  return JSON.stringify({ type: 'subscriptions', id, symbols });
}

export function intervalMessage(id: CommandId | undefined, interval: number): string {
  return JSON.stringify({ type: 'interval', id, interval });
}

export function pongMessage(id: CommandId | undefined, ts: number): string {
  return JSON.stringify({ type: 'pong', id, ts });
}

export function heartbeatMessage(ts: number): string {
  return `{"type":"heartbeat","ts":${ts}}`;
}

export function errorMessage(
  id: CommandId | undefined,
  code: ErrorCode,
  message: string,
  symbols?: readonly string[],
): string {
  // JSON.stringify drops undefined members, so absent id/symbols do not appear on the wire.
  return JSON.stringify({ type: 'error', id, code, message, symbols });
}
