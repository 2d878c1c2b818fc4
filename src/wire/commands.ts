import {
  BAR_LIMIT_RULE,
  BAR_TIMEFRAME_RULE,
  DEFAULT_BAR_LIMIT,
  INTERVAL_RULE,
  MAX_BAR_LIMIT,
  MAX_SYMBOL_LENGTH,
  MAX_TOKEN_LENGTH,
  isBarTimeframe,
  isValidInterval,
  type BarTimeframe,
} from './limits.js';
import type { CommandId, ErrorCode } from './types.js';

/** A validated client command, as the server executes it (parsed from a ClientCommandMessage). */
export type ClientCommand =
  | { type: 'subscribe'; id: CommandId | undefined; symbols: string[] }
  | { type: 'unsubscribe'; id: CommandId | undefined; symbols: string[] }
  | { type: 'interval'; id: CommandId | undefined; intervalMs: number }
  | { type: 'snapshot'; id: CommandId | undefined; symbols: string[] | null }
  | { type: 'ping'; id: CommandId | undefined }
  | { type: 'refresh'; id: CommandId | undefined; token: string }
  | { type: 'bars'; id: CommandId | undefined; symbol: string; tf: BarTimeframe; limit: number };

export interface CommandError {
  type: 'error';
  id: CommandId | undefined;
  code: ErrorCode;
  message: string;
}

function fail(id: CommandId | undefined, code: ErrorCode, message: string): CommandError {
  return { type: 'error', id, code, message };
}

/**
 * Parses and validates one client text message. Never throws: malformed input becomes a
 * CommandError that the hub sends back (the connection stays open).
 */
export function parseCommand(text: string, maxSymbols: number): ClientCommand | CommandError {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return fail(undefined, 'bad_json', 'message is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return fail(undefined, 'bad_request', 'message must be a JSON object');
  }
  const msg = value as Record<string, unknown>;
  let id: CommandId | undefined;
  if (msg.id !== undefined) {
    // null included: an id the client cannot match a reply to is a client bug worth reporting.
    if (typeof msg.id === 'string' || (typeof msg.id === 'number' && Number.isFinite(msg.id))) id = msg.id;
    else return fail(undefined, 'bad_request', '"id" must be a string or a number');
  }
  if (typeof msg.type !== 'string') return fail(id, 'bad_request', 'missing "type"');

  switch (msg.type) {
    case 'subscribe':
    case 'unsubscribe': {
      const symbols = readSymbols(msg.symbols, id, maxSymbols);
      if (!Array.isArray(symbols)) return symbols ?? fail(id, 'bad_request', '"symbols" must be an array of strings');
      return { type: msg.type, id, symbols };
    }
    case 'snapshot': {
      if (msg.symbols === undefined || msg.symbols === null) return { type: 'snapshot', id, symbols: null };
      const symbols = readSymbols(msg.symbols, id, maxSymbols);
      if (!Array.isArray(symbols)) return symbols ?? fail(id, 'bad_request', '"symbols" must be an array of strings');
      return { type: 'snapshot', id, symbols };
    }
    case 'interval':
      if (!isValidInterval(msg.interval)) return fail(id, 'bad_request', INTERVAL_RULE);
      return { type: 'interval', id, intervalMs: msg.interval };
    case 'ping':
      return { type: 'ping', id };
    case 'refresh':
      if (typeof msg.token !== 'string' || msg.token.trim() === '' || msg.token.length > MAX_TOKEN_LENGTH) {
        return fail(id, 'bad_request', `"token" must be a non-empty string of at most ${MAX_TOKEN_LENGTH} characters`);
      }
      return { type: 'refresh', id, token: msg.token.trim() };
    case 'bars': {
      if (typeof msg.symbol !== 'string' || msg.symbol.trim() === '' || msg.symbol.trim().length > MAX_SYMBOL_LENGTH) {
        return fail(id, 'bad_request', `"symbol" must be a string of 1 to ${MAX_SYMBOL_LENGTH} characters`);
      }
      if (!isBarTimeframe(msg.tf)) return fail(id, 'bad_request', BAR_TIMEFRAME_RULE);
      const limit = msg.limit ?? DEFAULT_BAR_LIMIT;
      if (!isBarLimit(limit)) return fail(id, 'bad_request', BAR_LIMIT_RULE);
      return { type: 'bars', id, symbol: msg.symbol.trim(), tf: msg.tf, limit };
    }
    default:
      return fail(id, 'unknown_command', `unknown command "${msg.type.slice(0, 40)}"`);
  }
}

export function isBarLimit(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= MAX_BAR_LIMIT;
}

/** The symbols array, deduplicated; null when the field is not an array of strings. */
function readSymbols(field: unknown, id: CommandId | undefined, maxSymbols: number): string[] | CommandError | null {
  if (!Array.isArray(field)) return null;
  if (field.length === 0) return fail(id, 'bad_request', '"symbols" must name at least one symbol (or "*")');
  if (field.length > maxSymbols) {
    return fail(id, 'too_many_symbols', `at most ${maxSymbols} symbols per client`);
  }
  const out: string[] = [];
  const seen = new Set<string>();
  for (const item of field) {
    if (typeof item !== 'string') return null;
    const symbol = item.trim();
    if (symbol === '' || symbol.length > MAX_SYMBOL_LENGTH) {
      return fail(id, 'bad_request', `symbols must be 1 to ${MAX_SYMBOL_LENGTH} characters`);
    }
    if (!seen.has(symbol)) {
      seen.add(symbol);
      out.push(symbol);
    }
  }
  return out;
}
