import type { FeedStatus, SymbolInfo } from '../market/index.js';
import type { StreamQuote, StreamSnapshot } from './stream.js';
import type { HistorySeries } from '../market/bars/index.js';

/**
 * The stream events the cluster primary sends its workers over node:cluster's IPC channel (the
 * channel is Node's; these are only the StreamSink calls as values). Tagged so that a worker can tell
 * them from other messages on the same channel (prom-client's metric requests, for one).
 */
export type StreamEventMessage =
  | { readonly tickstream: 'reset'; readonly snapshot: StreamSnapshot }
  | { readonly tickstream: 'quotes'; readonly batch: readonly StreamQuote[] }
  | { readonly tickstream: 'universe'; readonly added: readonly SymbolInfo[]; readonly removed: readonly string[] }
  | { readonly tickstream: 'status'; readonly status: FeedStatus }
  | { readonly tickstream: 'history'; readonly series: readonly HistorySeries[] };

const EVENT_TAGS = new Set(['reset', 'quotes', 'universe', 'status', 'history']);

export function isStreamEventMessage(value: unknown): value is StreamEventMessage {
  return (
    typeof value === 'object' &&
    value !== null &&
    EVENT_TAGS.has((value as { tickstream?: unknown }).tickstream as string)
  );
}

/** A worker → primary: "my listener is in place, send me the stream" (IPC messages sent before it would be lost). */
export interface SubscribeMessage {
  readonly tickstream: 'subscribe';
}

export function isSubscribeMessage(value: unknown): value is SubscribeMessage {
  return typeof value === 'object' && value !== null && (value as { tickstream?: unknown }).tickstream === 'subscribe';
}
