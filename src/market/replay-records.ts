import type { Quote, SymbolInfo } from './quote.js';
import { bidCents, changePctFromCents, spreadTicks, toCents } from './price-rules.js';
import { describeSymbol } from './universe.js';

/**
 * Parsing of a recorded quote stream (NDJSON, one object per line) into complete quotes.
 * A line needs only `symbol`, `last` and `ts`; every other Quote field is derived when missing:
 * prevClose = the symbol's first prevClose seen, else its first last; open = its first last;
 * high/low = running extremes (never inconsistent with last); volume = the previous cumulative
 * volume; bid/ask = the simulator's spread rule around last; change/changePct always recomputed.
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

interface SymbolState {
  index: number;
  prevCents: number;
  openCents: number;
  highCents: number;
  lowCents: number;
  lastCents: number;
  volume: number;
}

/** Parses NDJSON text; `source` names the file in error messages ("file:line: ..."). */
export function parseRecording(text: string, source: string): ParsedRecording {
  const states = new Map<string, SymbolState>();
  const infos: SymbolInfo[] = [];
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
    const symbol = row['symbol'];
    if (typeof symbol !== 'string' || symbol === '') throw new Error(`${where}: "symbol" must be a non-empty string`);
    const last = requiredPrice(row, 'last', where);
    const ts = timestamp(row['ts'], where);

    let state = states.get(symbol);
    if (state === undefined) {
      const prevClose = optionalPrice(row, 'prevClose', where) ?? last;
      const open = optionalPrice(row, 'open', where) ?? last;
      const prevCents = toCents(prevClose);
      const openCents = toCents(open);
      state = {
        index: infos.length,
        prevCents,
        openCents,
        highCents: openCents,
        lowCents: openCents,
        lastCents: openCents,
        volume: 0,
      };
      states.set(symbol, state);
      infos.push(Object.freeze({ ...describeSymbol(symbol), prevClose: prevCents / 100 }));
    }

    const lastCents = toCents(last);
    const givenHigh = optionalPrice(row, 'high', where);
    const givenLow = optionalPrice(row, 'low', where);
    state.highCents = Math.max(state.highCents, lastCents, givenHigh === undefined ? 0 : toCents(givenHigh));
    state.lowCents = Math.min(state.lowCents, lastCents, givenLow === undefined ? Infinity : toCents(givenLow));
    const givenVolume = optionalNumber(row, 'volume', where);
    state.volume = Math.max(state.volume, givenVolume ?? 0);

    const givenBid = optionalPrice(row, 'bid', where);
    const givenAsk = optionalPrice(row, 'ask', where);
    let bid: number;
    let ask: number;
    if (givenBid !== undefined && givenAsk !== undefined) {
      bid = toCents(givenBid);
      ask = toCents(givenAsk);
    } else {
      const spread = spreadTicks(lastCents);
      // No band here: recorded prices are facts, the quote only has to bracket them.
      bid = bidCents(lastCents, spread, lastCents >= state.lastCents, 1, Number.MAX_SAFE_INTEGER);
      ask = bid + spread;
    }
    state.lastCents = lastCents;

    if (Number.isNaN(firstTs)) firstTs = ts;
    // Out-of-order lines keep their file position and are replayed without a pause.
    const offsetMs = Math.max(previousOffset, ts - firstTs);
    previousOffset = offsetMs;
    records.push(
      Object.freeze({
        symbolIndex: state.index,
        offsetMs,
        recordedTs: ts,
        quote: Object.freeze({
          symbol,
          last: lastCents / 100,
          bid: bid / 100,
          ask: ask / 100,
          open: state.openCents / 100,
          high: state.highCents / 100,
          low: state.lowCents / 100,
          prevClose: state.prevCents / 100,
          change: (lastCents - state.prevCents) / 100,
          changePct: changePctFromCents(lastCents, state.prevCents),
          volume: state.volume,
          ts,
          seq: 0,
        }),
      }),
    );
  }
  if (records.length === 0) throw new Error(`${source}: no quotes in the file`);
  const finalVolume = new Array<number>(infos.length).fill(0);
  for (const state of states.values()) finalVolume[state.index] = state.volume;
  return { universe: Object.freeze(infos), records: Object.freeze(records), finalVolume };
}

function requiredPrice(row: Record<string, unknown>, key: string, where: string): number {
  const value = optionalPrice(row, key, where);
  if (value === undefined) throw new Error(`${where}: "${key}" is required`);
  return value;
}

function optionalPrice(row: Record<string, unknown>, key: string, where: string): number | undefined {
  const value = optionalNumber(row, key, where);
  if (value !== undefined && !(value > 0)) throw new Error(`${where}: "${key}" must be a positive price`);
  return value;
}

function optionalNumber(row: Record<string, unknown>, key: string, where: string): number | undefined {
  const value = row[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new Error(`${where}: "${key}" must be a finite number`);
  return value;
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
