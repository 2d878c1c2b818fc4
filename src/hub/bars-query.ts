import type { StreamState } from '../broker/stream-state.js';
import type { BarTimeframe, BarsFields } from '../wire/index.js';

/**
 * A symbol's bars as of the cache's current offset, with what a client needs to continue them live:
 * the symbol's seq and cumulative volume at that offset (the seam rule, docs/history.md). One
 * function for the `bars` command and GET /api/bars, so both answer the same.
 */
export function barsFields(cache: StreamState, symbol: string, tf: BarTimeframe, limit: number): BarsFields {
  const last = cache.last(symbol);
  return {
    symbol,
    tf,
    epoch: cache.epoch,
    offset: cache.offset,
    seq: last?.seq ?? 0,
    volume: last?.volume ?? cache.bars?.volume(symbol) ?? 0,
    bars: cache.bars?.bars(symbol, tf, limit) ?? [],
  };
}
