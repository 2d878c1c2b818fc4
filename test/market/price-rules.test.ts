import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { limitPctForSymbol, priceBand, roundToTick } from '../../src/market/index.js';
import { bidCents, changePctFromCents, decimalPlaces, midPrice, spreadTicks } from '../../src/market/price-rules.js';

describe('price rules', () => {
  test('roundToTick removes float noise', () => {
    assert.equal(roundToTick(189.23000000000002), 189.23);
    assert.equal(roundToTick(0.1 + 0.2), 0.3);
    assert.equal(String(roundToTick(1.005 * 1000)), '1005');
    assert.equal(String(roundToTick(12.3449)), '12.34');
  });

  test('limit prices are prevClose x (1 +- limit) rounded half-up to the cent, as the exchanges do', () => {
    // 12.35 x 1.1 = 13.585 exactly; the float product is 13.584999..., naive rounding gives 13.58.
    assert.deepEqual(priceBand(1235, 0.1), { downCents: 1112, upCents: 1359 });
    assert.deepEqual(priceBand(153000, 0.1), { downCents: 137700, upCents: 168300 });
    assert.deepEqual(priceBand(25130, 0.2), { downCents: 20104, upCents: 30156 });
    assert.deepEqual(priceBand(5, 0.1), { downCents: 5, upCents: 6 }); // 0.045 -> 0.05, 0.055 -> 0.06
    const us = priceBand(22987, null);
    assert.equal(us.downCents, 1);
    assert.ok(us.upCents > 1e12, 'us.upCents > 1e12');
  });

  test('limit fraction follows the board', () => {
    assert.equal(limitPctForSymbol('600519.SH'), 0.1);
    assert.equal(limitPctForSymbol('000858.SZ'), 0.1);
    assert.equal(limitPctForSymbol('002594.SZ'), 0.1);
    assert.equal(limitPctForSymbol('300750.SZ'), 0.2);
    assert.equal(limitPctForSymbol('301001.SZ'), 0.2);
    assert.equal(limitPctForSymbol('688981.SH'), 0.2);
    assert.equal(limitPctForSymbol('AAPL'), null);
  });

  test('spread is at least one tick and about one basis point', () => {
    assert.equal(spreadTicks(700), 1);
    assert.equal(spreadTicks(22987), 2);
    assert.equal(spreadTicks(153000), 15);
  });

  test('bid/ask bracket the last trade and stay inside the band', () => {
    assert.equal(bidCents(1000, 2, true, 1, 2000), 998); // buyer lifted the ask
    assert.equal(bidCents(1000, 2, false, 1, 2000), 1000); // seller hit the bid
    assert.equal(bidCents(1359, 1, false, 1112, 1359), 1358); // at limit-up the ask sits on the limit
    assert.equal(bidCents(1112, 3, true, 1112, 1359), 1112); // at limit-down the bid sits on the limit
    assert.equal(bidCents(1, 1, true, 1, Number.MAX_SAFE_INTEGER), 1); // never below one cent
  });

  test('changePct is rounded to 2 decimals', () => {
    assert.equal(changePctFromCents(23050, 22987), 0.27);
    assert.equal(changePctFromCents(1359, 1235), 10.04);
    assert.equal(changePctFromCents(1235, 1235), 0);
  });

  test('decimal places and the mid on the prices\' own grid', () => {
    assert.deepEqual([189.23, 5, 0.00001234, 1e-7, 1.5e-7, 1e21].map(decimalPlaces), [2, 0, 8, 7, 8, 0]);
    assert.equal(midPrice(10, 10.01), 10.01); // half up on the cent grid
    assert.equal(midPrice(1.0841, 1.0844), 1.0843);
    assert.equal(midPrice(100, 100), 100);
    // Float noise beyond the grid never puts the mid outside the book.
    assert.equal(midPrice(56.839999999999996, 56.839999999999996), 56.839999999999996);
  });
});
