import { formatZoned, zonedParts, zonedTimeToUtc } from './zoned-time.js';

/** Where a market is in its day. */
export type SessionState = 'pre-open' | 'open' | 'break' | 'closed';

/** Trading hours as exchange wall-clock times, "HH:MM". */
export interface SessionHours {
  readonly open: string;
  readonly close: string;
}

/**
 * An exchange calendar for a normal trading day: Monday to Friday, the continuous-trading sessions
 * (several when there is a lunch break) and when the pre-open phase starts. Public holidays and
 * half days are not modelled (docs/history.md): on such a day the state says open when the real
 * exchange is closed.
 */
export interface MarketCalendar {
  readonly id: string;
  readonly name: string;
  /** Exchange names (SymbolInfo.exchange) that trade on this calendar. */
  readonly exchanges: readonly string[];
  readonly timeZone: string;
  /** Start of the pre-open phase (US pre-market, the A-share opening call auction). */
  readonly preOpen: string;
  readonly sessions: readonly SessionHours[];
}

export const US_EQUITIES: MarketCalendar = {
  id: 'US',
  name: 'US equities',
  exchanges: ['NASDAQ', 'NYSE', 'NYSEARCA', 'AMEX', 'IEX', 'ARCA', 'BATS'],
  timeZone: 'America/New_York',
  preOpen: '04:00',
  sessions: [{ open: '09:30', close: '16:00' }],
};

export const CHINA_A_SHARES: MarketCalendar = {
  id: 'CN',
  name: 'China A-shares',
  exchanges: ['SSE', 'SZSE'],
  timeZone: 'Asia/Shanghai',
  preOpen: '09:15',
  sessions: [
    { open: '09:30', close: '11:30' },
    { open: '13:00', close: '15:00' },
  ],
};

export const CALENDARS: readonly MarketCalendar[] = [US_EQUITIES, CHINA_A_SHARES];

/** The calendar an exchange trades on, or undefined (an unknown venue, or one that never closes). */
export function calendarForExchange(exchange: string, calendars: readonly MarketCalendar[] = CALENDARS): MarketCalendar | undefined {
  const upper = exchange.toUpperCase();
  return calendars.find((c) => c.exchanges.includes(upper));
}

/** A span of continuous trading, as instants (ms since the Unix epoch). */
export interface TradingInterval {
  readonly start: number;
  readonly end: number;
}

export interface MarketStateAt {
  readonly state: SessionState;
  /** When the state changes next (ms), looking at most a week ahead. */
  readonly nextChange: number | null;
  /** The exchange's wall clock, "YYYY-MM-DD HH:MM:SS". */
  readonly localTime: string;
}

function minutesOf(hhmm: string): number {
  const m = /^(\d{2}):(\d{2})$/.exec(hhmm);
  if (m === null) throw new RangeError(`expected HH:MM, got "${hhmm}"`);
  return Number(m[1]) * 60 + Number(m[2]);
}

interface DayPlan {
  readonly preOpen: number;
  readonly sessions: readonly TradingInterval[];
}

/** The plan of the local day `daysAhead` days after the one containing `ms` (null on a weekend). */
function dayPlan(calendar: MarketCalendar, ms: number, daysAhead: number): DayPlan | null {
  const today = zonedParts(ms, calendar.timeZone);
  // Walk calendar days in UTC date arithmetic (no DST involved), then place times in the zone.
  const date = new Date(Date.UTC(today.year, today.month - 1, today.day + daysAhead));
  const weekday = date.getUTCDay();
  if (weekday === 0 || weekday === 6) return null;
  const at = (hhmm: string): number => zonedTimeToUtc(date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate(), minutesOf(hhmm), calendar.timeZone);
  return { preOpen: at(calendar.preOpen), sessions: calendar.sessions.map((s) => ({ start: at(s.open), end: at(s.close) })) };
}

/** The state of a market at instant `ms`, and when it changes next. */
export function marketStateAt(calendar: MarketCalendar, ms: number): MarketStateAt {
  const localTime = formatZoned(ms, calendar.timeZone);
  let state: SessionState | null = null;
  // Every boundary of today and the next 7 days, in order: the first one after `ms` is the next change.
  let nextChange: number | null = null;
  for (let d = 0; d <= 7 && nextChange === null; d++) {
    const plan = dayPlan(calendar, ms, d);
    if (plan === null) continue;
    if (d === 0) state = stateInDay(plan, ms);
    const boundaries = [plan.preOpen, ...plan.sessions.flatMap((s) => [s.start, s.end])];
    nextChange = boundaries.find((b) => b > ms) ?? null;
  }
  return { state: state ?? 'closed', nextChange, localTime };
}

function stateInDay(plan: DayPlan, ms: number): SessionState {
  const { sessions } = plan;
  if (ms < plan.preOpen) return 'closed';
  if (ms < sessions[0]!.start) return 'pre-open';
  for (let i = 0; i < sessions.length; i++) {
    if (ms < sessions[i]!.end) return ms >= sessions[i]!.start ? 'open' : 'break';
  }
  return 'closed';
}

/**
 * The continuous-trading intervals of the latest trading day that has started by `ms`, cut at `ms`:
 * today's sessions so far once today's first session opened, else the whole of the previous trading
 * day. What "the session so far" means for a chart of this market.
 */
export function sessionSoFar(calendar: MarketCalendar, ms: number): TradingInterval[] {
  for (let d = 0; d >= -7; d--) {
    const plan = dayPlan(calendar, ms, d);
    if (plan === null || plan.sessions[0]!.start > ms) continue;
    return plan.sessions.filter((s) => s.start < ms).map((s) => ({ start: s.start, end: Math.min(s.end, ms) }));
  }
  return [];
}

/** Length of a full trading day's continuous sessions, ms (6.5 h in the US, 4 h for A-shares). */
export function tradingDayLength(calendar: MarketCalendar): number {
  return calendar.sessions.reduce((sum, s) => sum + (minutesOf(s.close) - minutesOf(s.open)) * 60_000, 0);
}

/** Whether the market trades continuously at `ms`. */
export function isOpenAt(calendar: MarketCalendar, ms: number): boolean {
  const plan = dayPlan(calendar, ms, 0);
  return plan !== null && plan.sessions.some((s) => ms >= s.start && ms < s.end);
}
