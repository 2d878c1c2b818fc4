import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CHINA_A_SHARES,
  US_EQUITIES,
  calendarForExchange,
  isOpenAt,
  marketStateAt,
  sessionSoFar,
  tradingDayLength,
  zonedTimeToUtc,
} from '../../src/market/sessions/index.js';

/** An instant given as New York or Shanghai wall-clock time. */
const ny = (y: number, m: number, d: number, hh: number, mm: number): number => zonedTimeToUtc(y, m, d, hh * 60 + mm, 'America/New_York');
const sh = (y: number, m: number, d: number, hh: number, mm: number): number => zonedTimeToUtc(y, m, d, hh * 60 + mm, 'Asia/Shanghai');

describe('exchange calendars', () => {
  test('US: 09:30-16:00 New York in winter and in summer (DST), pre-open from 04:00, weekends closed', () => {
    // Winter (EST, UTC-5) and summer (EDT, UTC-4): the same wall-clock hours.
    assert.equal(ny(2026, 12, 1, 9, 30), Date.UTC(2026, 11, 1, 14, 30));
    assert.equal(ny(2026, 7, 1, 9, 30), Date.UTC(2026, 6, 1, 13, 30));
    const day = [2026, 12, 1] as const; // a Tuesday
    assert.equal(marketStateAt(US_EQUITIES, ny(...day, 3, 59)).state, 'closed');
    assert.equal(marketStateAt(US_EQUITIES, ny(...day, 4, 0)).state, 'pre-open');
    assert.equal(marketStateAt(US_EQUITIES, ny(...day, 9, 29)).state, 'pre-open');
    const open = marketStateAt(US_EQUITIES, ny(...day, 9, 30));
    assert.equal(open.state, 'open');
    assert.equal(open.nextChange, ny(...day, 16, 0));
    assert.equal(open.localTime, '2026-12-01 09:30:00');
    assert.equal(marketStateAt(US_EQUITIES, ny(...day, 16, 0)).state, 'closed');
    // Saturday: closed, next change Monday's pre-open.
    const saturday = marketStateAt(US_EQUITIES, ny(2026, 11, 28, 12, 0));
    assert.equal(saturday.state, 'closed');
    assert.equal(saturday.nextChange, ny(2026, 11, 30, 4, 0));
  });

  test('A-shares: call auction from 09:15, 09:30-11:30, lunch break, 13:00-15:00 Shanghai', () => {
    const day = [2026, 12, 1] as const;
    assert.equal(marketStateAt(CHINA_A_SHARES, sh(...day, 9, 15)).state, 'pre-open');
    assert.equal(marketStateAt(CHINA_A_SHARES, sh(...day, 10, 0)).state, 'open');
    const lunch = marketStateAt(CHINA_A_SHARES, sh(...day, 12, 0));
    assert.equal(lunch.state, 'break');
    assert.equal(lunch.nextChange, sh(...day, 13, 0));
    assert.equal(marketStateAt(CHINA_A_SHARES, sh(...day, 14, 59)).state, 'open');
    assert.equal(marketStateAt(CHINA_A_SHARES, sh(...day, 15, 0)).state, 'closed');
    assert.equal(isOpenAt(CHINA_A_SHARES, sh(...day, 11, 29)), true);
    assert.equal(isOpenAt(CHINA_A_SHARES, sh(...day, 11, 30)), false);
  });

  test('the session so far: today up to now (lunch break left out), or the whole previous trading day', () => {
    assert.deepEqual(sessionSoFar(CHINA_A_SHARES, sh(2026, 12, 1, 14, 0)), [
      { start: sh(2026, 12, 1, 9, 30), end: sh(2026, 12, 1, 11, 30) },
      { start: sh(2026, 12, 1, 13, 0), end: sh(2026, 12, 1, 14, 0) },
    ]);
    // Monday before the open: Friday's whole session.
    assert.deepEqual(sessionSoFar(US_EQUITIES, ny(2026, 11, 30, 8, 0)), [{ start: ny(2026, 11, 27, 9, 30), end: ny(2026, 11, 27, 16, 0) }]);
    assert.equal(tradingDayLength(US_EQUITIES), 6.5 * 3600_000);
    assert.equal(tradingDayLength(CHINA_A_SHARES), 4 * 3600_000);
  });

  test('exchanges map to calendars; an unknown venue has none', () => {
    assert.equal(calendarForExchange('NASDAQ'), US_EQUITIES);
    assert.equal(calendarForExchange('nyse'), US_EQUITIES);
    assert.equal(calendarForExchange('SZSE'), CHINA_A_SHARES);
    assert.equal(calendarForExchange('BINANCE'), undefined);
  });
});
