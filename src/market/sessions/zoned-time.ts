/**
 * Wall-clock time in an IANA time zone, with nothing but Intl (no time-zone library: two functions
 * are all the calendars need, and Intl already carries the tz database, DST rules included).
 */

export interface ZonedParts {
  year: number;
  /** 1-12 */
  month: number;
  day: number;
  /** 0 = Sunday ... 6 = Saturday */
  weekday: number;
  hour: number;
  minute: number;
  second: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
const WEEKDAYS: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      weekday: 'short',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** The wall-clock date and time at instant `ms` in `timeZone`. Throws RangeError for an unknown zone. */
export function zonedParts(ms: number, timeZone: string): ZonedParts {
  const out: ZonedParts = { year: 0, month: 0, day: 0, weekday: 0, hour: 0, minute: 0, second: 0 };
  for (const part of formatter(timeZone).formatToParts(ms)) {
    switch (part.type) {
      case 'year': out.year = Number(part.value); break;
      case 'month': out.month = Number(part.value); break;
      case 'day': out.day = Number(part.value); break;
      case 'weekday': out.weekday = WEEKDAYS[part.value] ?? 0; break;
      case 'hour': out.hour = Number(part.value); break;
      case 'minute': out.minute = Number(part.value); break;
      case 'second': out.second = Number(part.value); break;
      default: break;
    }
  }
  return out;
}

/** Offset of `timeZone` from UTC at instant `ms`, in ms (New York in winter: -5 h). */
function offsetAt(ms: number, timeZone: string): number {
  const p = zonedParts(ms, timeZone);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return asUtc - (ms - (ms % 1000));
}

/**
 * The instant at which the wall clock of `timeZone` shows the given date and `minutes` after
 * midnight. Market hours never fall in a DST gap or overlap (those are at night), so one correction
 * of the first guess is exact for them.
 */
export function zonedTimeToUtc(year: number, month: number, day: number, minutes: number, timeZone: string): number {
  const guess = Date.UTC(year, month - 1, day, 0, minutes);
  const first = guess - offsetAt(guess, timeZone);
  return guess - offsetAt(first, timeZone);
}

/** "YYYY-MM-DD HH:MM:SS" of the wall clock in `timeZone` at `ms`. */
export function formatZoned(ms: number, timeZone: string): string {
  const p = zonedParts(ms, timeZone);
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${p.year}-${two(p.month)}-${two(p.day)} ${two(p.hour)}:${two(p.minute)}:${two(p.second)}`;
}
