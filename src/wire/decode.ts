import type { ServerMessage, ServerMessageType } from './types.js';

const SERVER_MESSAGE_TYPES: ReadonlySet<ServerMessageType> = new Set<ServerMessageType>([
  'welcome', 'epoch', 'status', 'symbols', 'snapshot', 'quotes', 'subscriptions', 'interval',
  'heartbeat', 'pong', 'refreshed', 'error', 'bars',
]);

/**
 * Reads one server message (a text frame or an SSE event's data). Returns null for anything that is
 * not a JSON object with a known `type`, so a client can ignore what a newer server adds instead of
 * crashing on it. The fields a client relies on are checked where a wrong shape would mislead it.
 */
export function decodeServerMessage(text: string): ServerMessage | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const message = value as { type?: unknown; quotes?: unknown; symbols?: unknown; epoch?: unknown; bars?: unknown };
  if (typeof message.type !== 'string' || !SERVER_MESSAGE_TYPES.has(message.type as ServerMessageType)) return null;
  if ((message.type === 'quotes' || message.type === 'snapshot') && !Array.isArray(message.quotes)) return null;
  if ((message.type === 'subscriptions' || message.type === 'welcome') && !Array.isArray(message.symbols)) return null;
  if ((message.type === 'welcome' || message.type === 'epoch' || message.type === 'bars') && typeof message.epoch !== 'string') return null;
  if (message.type === 'bars' && !Array.isArray(message.bars)) return null;
  return value as ServerMessage;
}
