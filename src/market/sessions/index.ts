export {
  CALENDARS,
  US_EQUITIES,
  CHINA_A_SHARES,
  calendarForExchange,
  marketStateAt,
  sessionSoFar,
  tradingDayLength,
  isOpenAt,
  type MarketCalendar,
  type MarketStateAt,
  type SessionHours,
  type SessionState,
  type TradingInterval,
} from './calendar.js';
export { zonedParts, zonedTimeToUtc, formatZoned, type ZonedParts } from './zoned-time.js';
