import type { Quote, SymbolInfo } from './quote.js';
import { InvalidUpdateError, QuoteNormaliser, type QuoteUpdate } from './normaliser.js';
import { CsvHeaderError, parseCsvHeader, parseCsvRow, type CsvHeader } from './replay-csv.js';
import { describeSymbol, neutralInfo } from './universe.js';

/**
 * Parsing of a recorded quote stream into complete quotes. Two formats:
 * - NDJSON (`.ndjson`, `.jsonl`, `.json`): one JSON object per line;
 * - CSV (`.csv`): a header row naming the columns (`ts,symbol,last[,bid,ask,volume]` ...), then one
 *   quote per line (replay-csv.ts).
 * Other extensions are recognised by their content (a first line starting with `{` is NDJSON).
 *
 * A row needs `symbol`, `ts` (epoch ms or ISO 8601) and a price (`last`, or a `bid`/`ask` for a
 * quote without a trade); every other Quote field is derived when missing by the shared
 * QuoteNormaliser (see normaliser.ts), exactly as for a live source. Recorded `change`, `changePct`
 * and `seq` are ignored: they are recomputed.
 *
 * A malformed row (not JSON, a bad price, a bad timestamp, a wrong number of CSV cells ...) is
 * skipped and counted, with its line number, never fatal; a recording with no valid row at all, or
 * a CSV header that cannot be read, is an error.
 */

export type RecordingFormat = 'csv' | 'ndjson';

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

/** A row that was skipped, and why. */
export interface SkippedRow {
  /** 1-based line number in the file. */
  readonly line: number;
  readonly reason: string;
}

export interface ParsedRecording {
  readonly format: RecordingFormat;
  readonly universe: readonly SymbolInfo[];
  readonly records: readonly ReplayRecord[];
  /** Cumulative volume of each symbol at the end of the file (loops continue from it). */
  readonly finalVolume: readonly number[];
  /** How many malformed rows were skipped. */
  readonly skipped: number;
  /** The first skipped rows (at most {@link MAX_SKIPPED_DETAILS}), in file order. */
  readonly skippedRows: readonly SkippedRow[];
  /** CSV columns that are not quote fields, ignored (empty for NDJSON). */
  readonly ignoredColumns: readonly string[];
}

/** How many skipped rows are kept with their reason (the count covers them all). */
export const MAX_SKIPPED_DETAILS = 10;

/** The fields of a row handed to the normaliser; anything else on the row is ignored. */
const UPDATE_FIELDS = ['last', 'bid', 'ask', 'size', 'volume', 'prevClose', 'open', 'high', 'low'] as const;

/** Names, exchanges and currencies of known symbols come from the default universe (or the code). */
function describe(symbol: string, prevClose: number): SymbolInfo {
  return Object.freeze({ ...neutralInfo(describeSymbol(symbol)), prevClose });
}

/** The format of a recording: by the file's extension, else by its first non-blank line. */
export function detectFormat(file: string, text: string): RecordingFormat {
  const lower = file.toLowerCase();
  if (lower.endsWith('.csv')) return 'csv';
  if (lower.endsWith('.ndjson') || lower.endsWith('.jsonl') || lower.endsWith('.json')) return 'ndjson';
  const first = stripBom(text).trimStart();
  return first.startsWith('{') ? 'ndjson' : 'csv';
}

/**
 * Parses a recording; `source` names the file in messages ("file:line: ...") and, without a
 * `format`, its extension chooses the format. Throws (one line) when nothing can be replayed.
 */
export function parseRecording(text: string, source: string, format: RecordingFormat = detectFormat(source, text)): ParsedRecording {
  const normaliser = new QuoteNormaliser({ describe });
  const indexOf = new Map<string, number>();
  const records: ReplayRecord[] = [];
  const skippedRows: SkippedRow[] = [];
  let skipped = 0;
  let firstTs = Number.NaN;
  let previousOffset = 0;
  let header: CsvHeader | undefined;

  const skip = (line: number, reason: string): void => {
    skipped++;
    if (skippedRows.length < MAX_SKIPPED_DETAILS) skippedRows.push(Object.freeze({ line, reason }));
  };

  const lines = stripBom(text).split('\n');
  for (let lineNo = 1; lineNo <= lines.length; lineNo++) {
    const line = lines[lineNo - 1]!.trim();
    if (line === '') continue;
    let row: Record<string, unknown> | string;
    if (format === 'ndjson') {
      row = jsonRow(line);
    } else if (header === undefined) {
      try {
        header = parseCsvHeader(line);
      } catch (error) {
        if (error instanceof CsvHeaderError) throw new Error(`${source}:${lineNo}: ${error.message}`);
        throw error;
      }
      continue;
    } else {
      row = parseCsvRow(line, header);
    }
    if (typeof row === 'string') {
      skip(lineNo, row);
      continue;
    }
    const ts = timestamp(row['ts']);
    if (ts === undefined) {
      skip(lineNo, `"ts" must be epoch milliseconds or an ISO-8601 date, got ${JSON.stringify(row['ts'] ?? null)}`);
      continue;
    }
    // The normaliser validates every field's type at run time, so the row's values go in unchecked.
    const update: Record<string, unknown> = { symbol: row['symbol'], ts };
    for (const key of UPDATE_FIELDS) if (row[key] !== undefined) update[key] = row[key];
    let quote: Quote;
    try {
      quote = normaliser.normalise(update as unknown as QuoteUpdate);
    } catch (error) {
      if (!(error instanceof InvalidUpdateError)) throw error;
      skip(lineNo, error.message);
      continue;
    }
    let symbolIndex = indexOf.get(quote.symbol);
    if (symbolIndex === undefined) indexOf.set(quote.symbol, (symbolIndex = indexOf.size));

    if (Number.isNaN(firstTs)) firstTs = ts;
    // Out-of-order rows keep their file position and are replayed without a pause.
    const offsetMs = Math.max(previousOffset, ts - firstTs);
    previousOffset = offsetMs;
    records.push(Object.freeze({ symbolIndex, offsetMs, recordedTs: ts, quote: Object.freeze(quote) }));
  }
  if (records.length === 0) {
    const first = skippedRows[0];
    if (first === undefined) throw new Error(`${source}: no quotes in the file${format === 'csv' && header !== undefined ? ' (only a header row)' : ''}`);
    const name = source.split(/[\\/]/).pop();
    throw new Error(`${source}: no valid quotes, ${skipped} malformed row${skipped === 1 ? '' : 's'}; the first: ${name}:${first.line}: ${first.reason}`);
  }
  const universe = normaliser.universe();
  const finalVolume = universe.map((info) => normaliser.latest(info.symbol)!.volume);
  return {
    format,
    universe: Object.freeze(universe),
    records: Object.freeze(records),
    finalVolume,
    skipped,
    skippedRows: Object.freeze(skippedRows),
    ignoredColumns: Object.freeze([...(header?.ignored ?? [])]),
  };
}

/** One NDJSON line as a field map, or why it is not one. */
function jsonRow(line: string): Record<string, unknown> | string {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch (error) {
    return `not valid JSON (${oneLine((error as Error).message)})`;
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return 'expected a JSON object';
  return raw as Record<string, unknown>;
}

/** Epoch milliseconds (a number, or digits in a CSV cell), or an ISO-8601 string. */
function timestamp(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined;
  if (typeof value === 'string') {
    const parsed = Date.parse(value);
    if (Number.isFinite(parsed)) return parsed;
  }
  return undefined;
}

function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}
