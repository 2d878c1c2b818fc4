import type { ChainableCommander } from 'ioredis';
import type { FeedStatus } from '../market/feed.js';
import type { SymbolInfo } from '../market/quote.js';
import {
  encodeBatch,
  encodeHeartbeatEntry,
  encodeLastValue,
  encodeMeta,
  encodeResetEntry,
  encodeStatus,
  encodeStatusEntry,
  encodeSymbolInfo,
  encodeUniverseEntry,
} from './redis-codec.js';
import type { BrokerKeys } from './redis-keys.js';
import type { StreamQuote, StreamSnapshot } from './stream.js';

/**
 * The publisher's writes, each turned into the commands of ONE MULTI so that the stream entry and
 * the state keys it implies (last, meta.offset) change together: an edge reading the state in a
 * MULTI of its own sees either both or neither.
 */
export type Write =
  | { readonly kind: 'batch'; readonly epoch: string; readonly quotes: readonly StreamQuote[]; readonly last: number }
  | { readonly kind: 'universe'; readonly epoch: string; readonly offset: number; readonly added: readonly SymbolInfo[]; readonly removed: readonly string[] }
  | { readonly kind: 'status'; readonly epoch: string; readonly offset: number; readonly status: FeedStatus }
  | { readonly kind: 'heartbeat'; readonly epoch: string; readonly offset: number }
  | { readonly kind: 'reset'; readonly epoch: string; readonly offset: number };

export interface WriteLimits {
  /** XADD MAXLEN ~ this (entries). */
  readonly maxLen: number;
  /** A larger batch becomes several consecutive entries (in the same MULTI). */
  readonly maxQuotesPerEntry: number;
}

/** Hash fields per HSET: big universes are written in slices, not one command of millions of arguments. */
const HSET_SLICE = 10_000;

/** The stream offset a write leaves Redis at. */
export function writeOffset(w: Write): number {
  return w.kind === 'batch' ? w.last : w.offset;
}

export function writeQuotes(w: Write): number {
  return w.kind === 'batch' ? w.quotes.length : 0;
}

function xadd(multi: ChainableCommander, keys: BrokerKeys, limits: WriteLimits, fields: string[]): void {
  multi.xadd(keys.stream, 'MAXLEN', '~', limits.maxLen, '*', ...fields);
}

function hsetSliced(multi: ChainableCommander, key: string, args: string[]): void {
  if (args.length === 0) return;
  if (args.length <= 2 * HSET_SLICE) multi.hset(key, ...args);
  else for (let i = 0; i < args.length; i += 2 * HSET_SLICE) multi.hset(key, ...args.slice(i, i + 2 * HSET_SLICE));
}

/** Appends the commands of `w` to `multi`. */
export function addWrite(multi: ChainableCommander, keys: BrokerKeys, limits: WriteLimits, w: Write, now: number): void {
  switch (w.kind) {
    case 'batch': {
      const encoded = encodeBatch(w.epoch, w.quotes, limits.maxQuotesPerEntry);
      for (const fields of encoded.entries) xadd(multi, keys, limits, fields);
      hsetSliced(multi, keys.last, encoded.last);
      multi.hset(keys.meta, 'offset', String(w.last), 'at', String(now));
      return;
    }
    case 'universe': {
      const args: string[] = [];
      for (const info of w.added) args.push(info.symbol, encodeSymbolInfo(info));
      hsetSliced(multi, keys.universe, args);
      if (w.removed.length > 0) {
        multi.hdel(keys.universe, ...w.removed);
        multi.hdel(keys.last, ...w.removed);
      }
      xadd(multi, keys, limits, encodeUniverseEntry(w.epoch, w.offset, w.added, w.removed));
      multi.hset(keys.meta, 'at', String(now));
      return;
    }
    case 'status':
      xadd(multi, keys, limits, encodeStatusEntry(w.epoch, w.offset, w.status));
      multi.hset(keys.meta, 'status', encodeStatus(w.status), 'at', String(now));
      return;
    case 'heartbeat':
      xadd(multi, keys, limits, encodeHeartbeatEntry(w.epoch, w.offset));
      multi.hset(keys.meta, 'at', String(now));
      return;
    case 'reset':
      throw new Error('a reset is written with addFullState');
  }
}

/**
 * The whole state of the stream: replaces universe, last and meta (nothing of an older epoch or of a
 * lost history survives) and marks the place in the stream with a reset entry. The stream itself is
 * kept: its entry ids must keep growing, or an edge reading "after id X" would never see the new ones.
 */
export function addFullState(multi: ChainableCommander, keys: BrokerKeys, limits: WriteLimits, snapshot: StreamSnapshot, now: number): void {
  multi.del(keys.universe, keys.last, keys.meta);
  const infos: string[] = [];
  for (const info of snapshot.universe) infos.push(info.symbol, encodeSymbolInfo(info));
  hsetSliced(multi, keys.universe, infos);
  const lasts: string[] = [];
  for (const q of snapshot.quotes) lasts.push(q.symbol, encodeLastValue(q));
  hsetSliced(multi, keys.last, lasts);
  multi.hset(keys.meta, ...encodeMeta(snapshot.epoch, snapshot.offset, snapshot.status, now));
  xadd(multi, keys, limits, encodeResetEntry(snapshot.epoch, snapshot.offset));
}
