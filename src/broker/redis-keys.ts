/**
 * Where one stream lives in Redis. Every key starts with the prefix, so several markets (or test
 * runs) share one Redis. The keys are only ever touched together in MULTI blocks; with a Redis
 * Cluster a prefix written as a hash tag (`{us}`) would keep them in one slot, which MULTI needs.
 */
export interface BrokerKeys {
  readonly prefix: string;
  /** Redis Stream: one entry per quote batch, universe change, status change, heartbeat, reset. */
  readonly stream: string;
  /** Hash symbol → latest quote (row encoding + offset), complete up to meta.lastOffset (written at intervals). */
  readonly last: string;
  /** Hash symbol → SymbolInfo JSON. */
  readonly universe: string;
  /** Hash: v (format), epoch, offset (the stream's), lastOffset (`last`'s), status (JSON), at (ms of the last write by the ingest). */
  readonly meta: string;
}

export const DEFAULT_BROKER_PREFIX = 'tickstream';

export function brokerKeys(prefix: string = DEFAULT_BROKER_PREFIX): BrokerKeys {
  if (prefix === '' || /\s/.test(prefix)) throw new RangeError(`broker key prefix must be non-empty without spaces, got '${prefix}'`);
  return {
    prefix,
    stream: `${prefix}:stream`,
    last: `${prefix}:last`,
    universe: `${prefix}:universe`,
    meta: `${prefix}:meta`,
  };
}
