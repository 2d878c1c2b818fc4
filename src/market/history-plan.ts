import { sessionSoFar, tradingDayLength, US_EQUITIES, type MarketCalendar, type TradingInterval } from './sessions/index.js';

/**
 * What history the simulator makes up when it starts, so that a fresh server shows full charts at
 * once: the day so far, as bars, at a resolution the charts need and the start-up budget allows.
 */

/** A stretch of history made of bars of one resolution. */
export interface HistorySegment {
  readonly start: number;
  readonly end: number;
  readonly resolutionMs: number;
  /** Random-walk steps per bar: more steps give bars real wicks. */
  readonly stepsPerBar: number;
}

/**
 * Detail where a chart needs it: 1 s bars for the last 10 minutes (a 1 s chart's worth), 5 s bars
 * for the rest of the last hour (the 5 s chart), 30 s bars of 3 random-walk steps before that (six
 * steps per 1 min bar give it real wicks). A universe too large for the start-up budget gets 1 min
 * bars only, then 5 min bars only.
 */
interface Level {
  readonly resolutionMs: number;
  readonly stepsPerBar: number;
}
const DETAILED: readonly { readonly before: number; readonly level: Level }[] = [
  { before: 600_000, level: { resolutionMs: 1_000, stepsPerBar: 1 } },
  { before: 3_600_000, level: { resolutionMs: 5_000, stepsPerBar: 2 } },
  { before: Infinity, level: { resolutionMs: 30_000, stepsPerBar: 3 } },
];
const MINUTES: Level = { resolutionMs: 60_000, stepsPerBar: 2 };
const FIVE_MINUTES: Level = { resolutionMs: 300_000, stepsPerBar: 2 };
/**
 * Random-walk steps the whole universe may spend on history: about 50 ms of start-up here. The
 * default 44-symbol universe gets full detail (~3,800 steps a symbol for a 6.5 h day).
 */
const STEP_BUDGET = 400_000;

/**
 * The trading intervals a symbol's history covers at `now`: with `alwaysOpen` (the demo market
 * never closes) the last trading-day length up to now; otherwise the session so far of the symbol's
 * calendar (today's sessions up to now, or the whole previous trading day before today's open).
 * A symbol without a calendar (an unknown venue) gets the US day length up to now.
 */
export function historyIntervals(calendar: MarketCalendar | undefined, now: number, alwaysOpen: boolean): TradingInterval[] {
  if (alwaysOpen || calendar === undefined) {
    const length = tradingDayLength(calendar ?? US_EQUITIES);
    return [{ start: now - length, end: now }];
  }
  return sessionSoFar(calendar, now);
}

/**
 * Cuts intervals into segments of one resolution each (DETAILED when the step budget allows, else
 * 1 min, else 5 min bars). Boundaries are aligned to the coarser side's resolution, so bars never
 * straddle them.
 */
export function planHistory(intervals: readonly TradingInterval[], now: number, symbolCount: number): HistorySegment[] {
  const detailed = cut(intervals, now, DETAILED);
  if (symbolCount * steps(detailed) <= STEP_BUDGET) return detailed;
  const minutes = cut(intervals, now, [{ before: Infinity, level: MINUTES }]);
  if (symbolCount * steps(minutes) <= STEP_BUDGET) return minutes;
  return cut(intervals, now, [{ before: Infinity, level: FIVE_MINUTES }]);
}

function steps(segments: readonly HistorySegment[]): number {
  return segments.reduce((sum, s) => sum + Math.ceil((s.end - s.start) / s.resolutionMs) * s.stepsPerBar, 0);
}

/** `levels`: finest first, each used for the span up to `before` ms before now. */
function cut(intervals: readonly TradingInterval[], now: number, levels: readonly { before: number; level: Level }[]): HistorySegment[] {
  const out: HistorySegment[] = [];
  for (const interval of intervals) {
    // Walk from the coarsest (oldest) level to the finest, each ending where the next finer begins.
    let from = interval.start;
    for (let k = levels.length - 1; k >= 0; k--) {
      const { level } = levels[k]!;
      const finerStart = k === 0 ? Infinity : alignDown(now - levels[k - 1]!.before, level.resolutionMs);
      const start = alignDown(from, level.resolutionMs);
      const end = Math.min(interval.end, finerStart);
      if (end > start && end > from) {
        out.push({ start, end, ...level });
        from = end;
      }
    }
  }
  return out;
}

function alignDown(ms: number, step: number): number {
  return ms - (((ms % step) + step) % step);
}
