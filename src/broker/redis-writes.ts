import type { ChainableCommander } from 'ioredis';
import type { FeedStatus } from '../market/feed.js';
import type { SymbolInfo } from '../market/quote.js';
import {
  encodeBatchEntries,
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
 * the state keys it implies (meta.offset, and `last` + meta.lastOffset when it carries a flush)
 * change together: an edge reading the state in a MULTI of its own sees either both or neither.
 */
export type Write = (
  | { readonly kind: 'batch'; readonly epoch: string; readonly first: number; readonly last: number; readonly entries: readonly (readonly (string | Buffer)[])[] }
  | { readonly kind: 'universe'; readonly epoch: string; readonly offset: number; readonly added: readonly SymbolInfo[]; readonly removed: readonly string[] }
  | { readonly kind: 'status'; readonly epoch: string; readonly offset: number; readonly status: FeedStatus }
  | { readonly kind: 'heartbeat'; readonly epoch: string; readonly offset: number }
  /** `last` written on its own (a quiet moment, or stop): no stream entry. */
  | { readonly kind: 'last'; readonly epoch: string; readonly offset: number }
  | { readonly kind: 'reset'; readonly epoch: string; readonly offset: number }
) & {
  /** `last` values written with this write (never with a heartbeat: those are not resent). */
  readonly flush?: LastFlush;
};

/** A write of the `last` hash: the symbols quoted since the previous one, and where that leaves it. */
export interface LastFlush {
  /** Latest quote of each symbol quoted since the previous flush (removed symbols taken out). */
  readonly quotes: readonly StreamQuote[];
  /** meta.lastOffset afterwards: `last` holds every symbol's latest quote up to this offset. */
  readonly upTo: number;
}

export interface WriteLimits {
  /** XADD MAXLEN ~ this (entries). */
  readonly maxLen: number;
  /** A larger batch becomes several consecutive entries (in the same MULTI). */
  readonly maxQuotesPerEntry: number;
}

/** Hash fields per HSET: big universes are written in slices, not one command of millions of arguments. */
const HSET_SLICE = 10_000;

/** A batch, encoded once (when handed over; a resend after a blip sends the same strings). */
export function batchWrite(epoch: string, quotes: readonly StreamQuote[], limits: WriteLimits): Write {
  return { kind: 'batch', epoch, first: quotes[0]!.offset, last: quotes[quotes.length - 1]!.offset, entries: encodeBatchEntries(epoch, quotes, limits.maxQuotesPerEntry) };
}

/** The stream offset a write leaves Redis at. */
export function writeOffset(w: Write): number {
  return w.kind === 'batch' ? w.last : w.offset;
}

export function writeQuotes(w: Write): number {
  return w.kind === 'batch' ? w.last - w.first + 1 : 0;
}

/** Stream entries a write adds. */
export function writeEntries(w: Write): number {
  return w.kind === 'batch' ? w.entries.length : w.kind === 'last' ? 0 : 1;
}

function xadd(multi: ChainableCommander, keys: BrokerKeys, limits: WriteLimits, fields: readonly (string | Buffer)[]): void {
  multi.xadd(keys.stream, 'MAXLEN', '~', limits.maxLen, '*', ...fields);
}

function hsetSliced(multi: ChainableCommander, key: string, args: string[]): void {
  if (args.length === 0) return;
  if (args.length <= 2 * HSET_SLICE) multi.hset(key, ...args);
  else for (let i = 0; i < args.length; i += 2 * HSET_SLICE) multi.hset(key, ...args.slice(i, i + 2 * HSET_SLICE));
}

function lastArgs(quotes: Iterable<StreamQuote>): string[] {
  const args: string[] = [];
  for (const q of quotes) args.push(q.symbol, encodeLastValue(q));
  return args;
}

/** Appends the commands of `w` to `multi`. */
export function addWrite(multi: ChainableCommander, keys: BrokerKeys, limits: WriteLimits, w: Write, now: number): void {
  const meta: string[] = [];
  switch (w.kind) {
    case 'batch':
      for (const fields of w.entries) xadd(multi, keys, limits, fields);
      meta.push('offset', String(w.last));
      break;
    case 'universe': {
      const args: string[] = [];
      for (const info of w.added) args.push(info.symbol, encodeSymbolInfo(info));
      hsetSliced(multi, keys.universe, args);
      if (w.removed.length > 0) {
        multi.hdel(keys.universe, ...w.removed);
        multi.hdel(keys.last, ...w.removed);
      }
      xadd(multi, keys, limits, encodeUniverseEntry(w.epoch, w.offset, w.added, w.removed));
      break;
    }
    case 'status':
      xadd(multi, keys, limits, encodeStatusEntry(w.epoch, w.offset, w.status));
      meta.push('status', encodeStatus(w.status));
      break;
    case 'heartbeat':
      xadd(multi, keys, limits, encodeHeartbeatEntry(w.epoch, w.offset));
      break;
    case 'last':
      break;
    case 'reset':
      throw new Error('a reset is written with addFullState');
  }
  if (w.flush !== undefined) {
    hsetSliced(multi, keys.last, lastArgs(w.flush.quotes));
    meta.push('lastOffset', String(w.flush.upTo));
  }
  multi.hset(keys.meta, ...meta, 'at', String(now));
}

/**
 * The whole state of the stream: replaces universe, last and meta (nothing of an older epoch or of a
 * lost history survives; `last` is complete at the snapshot's offset) and marks the place in the
 * stream with a reset entry. The stream itself is kept: its entry ids must keep growing, or an edge
 * reading "after id X" would never see the new ones.
 */
export function addFullState(multi: ChainableCommander, keys: BrokerKeys, limits: WriteLimits, snapshot: StreamSnapshot, now: number): void {
  multi.del(keys.universe, keys.last, keys.meta);
  const infos: string[] = [];
  for (const info of snapshot.universe) infos.push(info.symbol, encodeSymbolInfo(info));
  hsetSliced(multi, keys.universe, infos);
  hsetSliced(multi, keys.last, lastArgs(snapshot.quotes));
  multi.hset(keys.meta, ...encodeMeta(snapshot.epoch, snapshot.offset, snapshot.status, now));
  xadd(multi, keys, limits, encodeResetEntry(snapshot.epoch, snapshot.offset));
}
