import type { FeedStatus } from '../market/feed.js';
import type { SymbolInfo } from '../market/quote.js';
import { encodeRow, encodeRows, readRows } from './redis-rows.js';
import type { StreamQuote, StreamSnapshot } from './stream.js';

/**
 * What the ingest writes into Redis and the edges read back (see redis-publisher.ts for the design).
 *
 * Every stream entry has the same four fields, so `XRANGE` in redis-cli stays readable:
 *   t  kind: b (quote batch), u (universe change), s (status change), h (heartbeat), r (reset)
 *   e  epoch of the stream
 *   o  offset: of the FIRST quote for a batch (the others follow by one), else the stream's offset
 *      when the entry was written (what an edge must already have to apply it)
 *   d  payload JSON (absent for h and r)
 * A batch's payload is an array of rows in a fixed field order (QUOTE_FIELDS, then the quote's offset),
 * not of objects: about half the bytes, and no per-quote key strings for Redis to store and for edges
 * to parse. The offsets in the rows must follow `o` one by one (checked when decoding). A symbol's
 * value in the `last` hash is such a row too.
 *
 * Decoding trusts nothing: a malformed entry or value throws BrokerCodecError (the source counts and
 * skips it) instead of handing half-valid quotes to the hub.
 */

/**
 * Bumped when the encoding changes incompatibly; written to meta.v, checked by edges.
 * 2: `last` is written at intervals, complete up to meta.lastOffset (a v1 edge would take it as
 * complete up to meta.offset and miss the quotes in between).
 */
export const BROKER_FORMAT_VERSION = '2';

/** Field order of a quote row (the quote's stream offset follows as a 14th value). */
export const QUOTE_FIELDS = ['symbol', 'last', 'bid', 'ask', 'open', 'high', 'low', 'prevClose', 'change', 'changePct', 'volume', 'ts', 'seq'] as const;

export class BrokerCodecError extends Error {
  override readonly name = 'BrokerCodecError';
}

interface EntryHead {
  readonly epoch: string;
  readonly offset: number;
}

export type BrokerEntry =
  | (EntryHead & { readonly kind: 'batch'; readonly quotes: StreamQuote[] })
  | (EntryHead & { readonly kind: 'universe'; readonly added: SymbolInfo[]; readonly removed: string[] })
  | (EntryHead & { readonly kind: 'status'; readonly status: FeedStatus })
  | (EntryHead & { readonly kind: 'heartbeat' })
  | (EntryHead & { readonly kind: 'reset' });

// ---------------------------------------------------------------------------------------------
// Encoding (publisher side). Hot path: one call per batch.

/**
 * The fields of the stream entries of a batch (its quotes must have consecutive offsets, as
 * FeedStream stamps them), `perEntry` quotes each at most. The payload is a Buffer (redis-rows.ts:
 * the text JSON.stringify would make, at half the cost); NaN and Infinity are written as null, so
 * such an entry is rejected, never mis-read.
 */
export function encodeBatchEntries(epoch: string, quotes: readonly StreamQuote[], perEntry: number): (string | Buffer)[][] {
  const entries: (string | Buffer)[][] = [];
  for (let start = 0; start < quotes.length; start += perEntry) {
    const d = encodeRows(quotes, start, Math.min(quotes.length, start + perEntry));
    entries.push(['t', 'b', 'e', epoch, 'o', String(quotes[start]!.offset), 'd', d]);
  }
  return entries;
}

/** Entry fields of a batch as one entry, as text (as ioredis reads them back). */
export function encodeBatchEntry(epoch: string, quotes: readonly StreamQuote[]): string[] {
  return encodeBatchEntries(epoch, quotes, quotes.length)[0]!.map(String);
}

export function encodeUniverseEntry(epoch: string, offset: number, added: readonly SymbolInfo[], removed: readonly string[]): string[] {
  return ['t', 'u', 'e', epoch, 'o', String(offset), 'd', JSON.stringify({ added, removed })];
}

export function encodeStatusEntry(epoch: string, offset: number, status: FeedStatus): string[] {
  return ['t', 's', 'e', epoch, 'o', String(offset), 'd', encodeStatus(status)];
}

export function encodeHeartbeatEntry(epoch: string, offset: number): string[] {
  return ['t', 'h', 'e', epoch, 'o', String(offset)];
}

export function encodeResetEntry(epoch: string, offset: number): string[] {
  return ['t', 'r', 'e', epoch, 'o', String(offset)];
}

/** Value of `last[symbol]`: the quote row (its offset included). */
export function encodeLastValue(q: StreamQuote): string {
  return encodeRow(q);
}

export function encodeStatus(status: FeedStatus): string {
  return JSON.stringify(status.reason === undefined ? { state: status.state } : { state: status.state, reason: status.reason });
}

export function encodeSymbolInfo(info: SymbolInfo): string {
  return JSON.stringify(info);
}

// ---------------------------------------------------------------------------------------------
// Decoding (edge side).

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new BrokerCodecError(`${what} is not valid JSON: ${text.slice(0, 80)}`);
  }
}

function parseOffset(text: string | undefined, what: string): number {
  if (text === undefined || !/^\d{1,16}$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw new BrokerCodecError(`${what} is not an offset: ${String(text).slice(0, 40)}`);
  }
  return Number(text);
}

function isNum(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

/** Decodes a quote row; `offset`, when given, is the offset the row must carry. */
function decodeRow(row: unknown, offset: number | undefined, what: string): StreamQuote {
  const width = QUOTE_FIELDS.length + 1;
  if (!Array.isArray(row) || row.length !== width) throw new BrokerCodecError(`${what}: expected an array of ${width} values`);
  const r = row as unknown[];
  const symbol = r[0];
  if (typeof symbol !== 'string' || symbol === '') throw new BrokerCodecError(`${what}: symbol is not a non-empty string`);
  for (let i = 1; i < width; i++) {
    if (!isNum(r[i])) throw new BrokerCodecError(`${what} (${symbol}): ${QUOTE_FIELDS[i] ?? 'offset'} is not a finite number`);
  }
  const seq = r[12] as number;
  const off = r[13] as number;
  if (!Number.isSafeInteger(seq) || seq < 1) throw new BrokerCodecError(`${what} (${symbol}): seq ${seq} is not a positive integer`);
  if (!Number.isSafeInteger(off) || off < 1) throw new BrokerCodecError(`${what} (${symbol}): offset ${off} is not a positive integer`);
  if (offset !== undefined && off !== offset) throw new BrokerCodecError(`${what} (${symbol}): offset ${off} where ${offset} follows`);
  return {
    symbol,
    last: r[1] as number,
    bid: r[2] as number,
    ask: r[3] as number,
    open: r[4] as number,
    high: r[5] as number,
    low: r[6] as number,
    prevClose: r[7] as number,
    change: r[8] as number,
    changePct: r[9] as number,
    volume: r[10] as number,
    ts: r[11] as number,
    seq,
    offset: off,
  };
}

/** The fields a SymbolInfo must have; others (if a feed adds any) pass through untouched. */
function isSymbolInfo(v: unknown): v is SymbolInfo {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return (
    typeof o.symbol === 'string' &&
    o.symbol !== '' &&
    typeof o.name === 'string' &&
    typeof o.exchange === 'string' &&
    typeof o.currency === 'string' &&
    isNum(o.prevClose)
  );
}

export function decodeSymbolInfo(text: string, what = 'symbol info'): SymbolInfo {
  const v = parseJson(text, what);
  if (!isSymbolInfo(v)) throw new BrokerCodecError(`${what} lacks symbol/name/exchange/currency/prevClose: ${text.slice(0, 80)}`);
  return v;
}

export function decodeStatus(text: string, what = 'status'): FeedStatus {
  const v = parseJson(text, what);
  if (typeof v !== 'object' || v === null) throw new BrokerCodecError(`${what} is not an object`);
  const { state, reason } = v as Record<string, unknown>;
  if (state !== 'up' && state !== 'stale' && state !== 'down') throw new BrokerCodecError(`${what}: state '${String(state)}' is not up/stale/down`);
  if (reason !== undefined && typeof reason !== 'string') throw new BrokerCodecError(`${what}: reason is not a string`);
  return reason === undefined ? { state } : { state, reason };
}

export function decodeLastValue(symbol: string, text: string): StreamQuote {
  const q = decodeRow(parseJson(text, `last value of ${symbol}`), undefined, `last value of ${symbol}`);
  if (q.symbol !== symbol) throw new BrokerCodecError(`last value of ${symbol} holds a quote of ${q.symbol}`);
  return q;
}

/** Decodes one stream entry from ioredis's flat [field, value, ...] list. */
export function decodeEntry(fields: readonly string[]): BrokerEntry {
  const f = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) f.set(fields[i]!, fields[i + 1]!);
  const kind = f.get('t');
  const epoch = f.get('e');
  if (epoch === undefined || epoch === '') throw new BrokerCodecError(`entry without an epoch (t=${String(kind)})`);
  const offset = parseOffset(f.get('o'), `entry offset (t=${String(kind)})`);
  const data = (): unknown => {
    const d = f.get('d');
    if (d === undefined) throw new BrokerCodecError(`entry t=${String(kind)} has no payload`);
    return parseJson(d, `entry t=${String(kind)} payload`);
  };
  switch (kind) {
    case 'b': {
      if (offset < 1) throw new BrokerCodecError('batch entry with first offset 0');
      const d = f.get('d');
      const read = d === undefined ? null : readRows(d, offset);
      if (read !== null) return { kind: 'batch', epoch, offset, quotes: read };
      // Not in the form the publisher writes: JSON.parse takes it, or says precisely what is wrong.
      const rows = data();
      if (!Array.isArray(rows) || rows.length === 0) throw new BrokerCodecError('batch entry payload is not a non-empty array');
      const quotes = (rows as unknown[]).map((row, i) => decodeRow(row, offset + i, `batch entry row ${i}`));
      return { kind: 'batch', epoch, offset, quotes };
    }
    case 'u': {
      const v = data();
      const { added, removed } = (typeof v === 'object' && v !== null ? v : {}) as Record<string, unknown>;
      if (!Array.isArray(added) || !(added as unknown[]).every(isSymbolInfo)) throw new BrokerCodecError('universe entry: added is not a list of symbol infos');
      if (!Array.isArray(removed) || !(removed as unknown[]).every((s) => typeof s === 'string')) throw new BrokerCodecError('universe entry: removed is not a list of symbols');
      return { kind: 'universe', epoch, offset, added: added as SymbolInfo[], removed: removed as string[] };
    }
    case 's':
      return { kind: 'status', epoch, offset, status: decodeStatus(f.get('d') ?? '', 'status entry payload') };
    case 'h':
      return { kind: 'heartbeat', epoch, offset };
    case 'r':
      return { kind: 'reset', epoch, offset };
    default:
      throw new BrokerCodecError(`entry of unknown kind t=${String(kind).slice(0, 20)}`);
  }
}

/**
 * Hash fields of meta for a stream at `offset` whose `last` hash is complete there too (a full state):
 * later writes move `offset` with every batch and `lastOffset` with every write of `last`.
 */
export function encodeMeta(epoch: string, offset: number, status: FeedStatus, at: number): string[] {
  return ['v', BROKER_FORMAT_VERSION, 'epoch', epoch, 'offset', String(offset), 'lastOffset', String(offset), 'status', encodeStatus(status), 'at', String(at)];
}

/** The state keys as HGETALL returns them. */
export interface StateHashes {
  readonly meta: Readonly<Record<string, string>>;
  readonly universe: Readonly<Record<string, string>>;
  readonly last: Readonly<Record<string, string>>;
}

/**
 * What the state keys hold. `universe` and `status` are those at `offset`; `quotes` (the `last` hash)
 * hold every symbol's latest quote up to `lastOffset` at least (some may be newer), and the stream
 * holds the quotes of (lastOffset, offset]: SnapshotReplay (redis-snapshot.ts) makes the snapshot at
 * `offset` of the two.
 */
export interface StoredState extends StreamSnapshot {
  readonly lastOffset: number;
}

/** The state the keys hold, or null when no ingest has written one (empty meta). */
export function decodeState(hashes: StateHashes): StoredState | null {
  const { meta } = hashes;
  if (Object.keys(meta).length === 0) return null;
  if (meta.v !== BROKER_FORMAT_VERSION) {
    throw new BrokerCodecError(`broker data is format v${String(meta.v)}, this version reads v${BROKER_FORMAT_VERSION} (upgrade the edges and the ingest together)`);
  }
  const epoch = meta.epoch;
  if (epoch === undefined || epoch === '') throw new BrokerCodecError('meta has no epoch');
  const offset = parseOffset(meta.offset, 'meta offset');
  const lastOffset = parseOffset(meta.lastOffset, 'meta lastOffset');
  if (lastOffset > offset) throw new BrokerCodecError(`meta lastOffset ${lastOffset} is beyond meta offset ${offset}`);
  const status = decodeStatus(meta.status ?? '', 'meta status');
  const universe = Object.entries(hashes.universe).map(([symbol, text]) => {
    const info = decodeSymbolInfo(text, `universe entry of ${symbol}`);
    if (info.symbol !== symbol) throw new BrokerCodecError(`universe entry of ${symbol} describes ${info.symbol}`);
    return info;
  });
  const quotes = Object.entries(hashes.last).map(([symbol, text]) => decodeLastValue(symbol, text));
  for (const q of quotes) {
    if (q.offset > offset) throw new BrokerCodecError(`last value of ${q.symbol} has offset ${q.offset} beyond meta offset ${offset}`);
  }
  return { epoch, offset, lastOffset, universe, quotes, status };
}
