import type { Quote, SymbolInfo } from './quote.js';
import { InvalidUpdateError, QuoteNormaliser, type QuoteUpdate } from './normaliser.js';
import { describeSymbol, neutralInfo } from './universe.js';

/**
 * Parsing of a recorded quote stream (NDJSON, one object per line) into complete quotes.
 * A line needs `symbol`, `ts` and a price (`last`, or a `bid`/`ask` for a quote without a trade);
 * every other Quote field is derived when missing by the shared QuoteNormaliser (see
 * normaliser.ts), exactly as for a live source. Recorded `change`, `changePct` and `seq` are
 * ignored: they are recomputed.
 */

/** One replayable record: a complete quote (seq/ts assigned at replay time) and its place in time. */
export interface ReplayRecord {
  /** Index of the symbol in the derived universe. */
  readonly symbolIndex: number;
  /** Milliseconds after the first record, in recorded time (never decreasing). */
  readonly offsetMs: number;
  /** The recorded timestamp. */
  readonly recordedTs: number;
  readonly quote: Readonly<Quote>;
}

export interface ParsedRecording {
  readonly universe: readonly SymbolInfo[];
  readonly records: readonly ReplayRecord[];
  /** Cumulative volume of each symbol at the end of the file (loops continue from it). */
  readonly finalVolume: readonly number[];
}

/** The fields of a line handed to the normaliser; anything else on the line is ignored. */
const UPDATE_FIELDS = ['last', 'bid', 'ask', 'size', 'volume', 'prevClose', 'open', 'high', 'low'] as const;

/** Names, exchanges and currencies of known symbols come from the default universe (or the code). */
function describe(symbol: string, prevClose: number): SymbolInfo {
  return Object.freeze({ ...neutralInfo(describeSymbol(symbol)), prevClose });
}

/** Parses NDJSON text; `source` names the file in error messages ("file:line: ..."). */
export function parseRecording(text: string, source: string): ParsedRecording {
  const normaliser = new QuoteNormaliser({ describe });
  const indexOf = new Map<string, number>();
  const records: ReplayRecord[] = [];
  let firstTs = Number.NaN;
  let previousOffset = 0;
  const lines = text.split('\n');
  for (let lineNo = 1; lineNo <= lines.length; lineNo++) {
    const line = lines[lineNo - 1]!.trim();
    if (line === '') continue;
    const where = `${source}:${lineNo}`;
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch (error) {
      throw new Error(`${where}: not valid JSON (${(error as Error).message})`);
    }
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error(`${where}: expected a JSON object`);
    const row = raw as Record<string, unknown>;
    const ts = timestamp(row['ts'], where);
    // The normaliser validates every field's type at run time, so the row's values go in unchecked.
    const update: Record<string, unknown> = { symbol: row['symbol'], ts };
    for (const key of UPDATE_FIELDS) if (row[key] !== undefined) update[key] = row[key];
    let quote: Quote;
    try {
      quote = normaliser.normalise(update as unknown as QuoteUpdate);
    } catch (error) {
      if (error instanceof InvalidUpdateError) throw new Error(`${where}: ${error.message}`);
      throw error;
    }
    let symbolIndex = indexOf.get(quote.symbol);
    if (symbolIndex === undefined) indexOf.set(quote.symbol, (symbolIndex = indexOf.size));

    if (Number.isNaN(firstTs)) firstTs = ts;
    // Out-of-order lines keep their file position and are replayed without a pause.
    const offsetMs = Math.max(previousOffset, ts - firstTs);
    previousOffset = offsetMs;
    records.push(Object.freeze({ symbolIndex, offsetMs, recordedTs: ts, quote: Object.freeze(quote) }));
  }
  if (records.length === 0) throw new Error(`${source}: no quotes in the file`);
  const universe = normaliser.universe();
  const finalVolume = universe.map((info) => normaliser.latest(info.symbol)!.volume);
  return { universe: Object.freeze(universe), records: Object.freeze(records), finalVolume };
}

/** Epoch milliseconds, or an ISO-8601 string (recordings made by other tools often use those). */
function timestamp(value: unknown, where: string): number {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string') {
    const parsed = Date.parse(value);
    if (Number.isFinite(parsed)) return parsed;
  }
  throw new Error(`${where}: "ts" must be epoch milliseconds or an ISO-8601 date`);
}
