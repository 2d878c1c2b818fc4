import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_UNIVERSE,
  buildUniverse,
  describeSymbol,
  findDefaultSymbol,
  syntheticSymbol,
} from '../../src/market/index.js';

describe('default universe', () => {
  test('has at least 30 symbols, US large caps and China A-shares', () => {
    assert.ok(DEFAULT_UNIVERSE.length >= 30, 'DEFAULT_UNIVERSE.length >= 30');
    const us = DEFAULT_UNIVERSE.filter((s) => s.exchange === 'NASDAQ' || s.exchange === 'NYSE');
    const cn = DEFAULT_UNIVERSE.filter((s) => s.exchange === 'SSE' || s.exchange === 'SZSE');
    assert.ok(us.length >= 10, `US symbols: ${us.length}`);
    assert.ok(cn.length >= 10, `A-shares: ${cn.length}`);
    assert.equal(us.length + cn.length, DEFAULT_UNIVERSE.length);
    for (const symbol of ['AAPL', 'MSFT', 'NVDA', 'AMZN', 'GOOGL', 'META', 'TSLA', 'JPM', 'V']) {
      assert.ok(findDefaultSymbol(symbol), symbol);
    }
  });

  test('A-shares carry their real Chinese names and SSE/SZSE suffixes', () => {
    assert.equal(findDefaultSymbol('600519.SH')?.name, '贵州茅台');
    assert.equal(findDefaultSymbol('601318.SH')?.name, '中国平安');
    assert.equal(findDefaultSymbol('000858.SZ')?.name, '五粮液');
    assert.equal(findDefaultSymbol('300750.SZ')?.name, '宁德时代');
    for (const info of DEFAULT_UNIVERSE) {
      if (info.exchange === 'SSE') assert.match(info.symbol, /^6\d{5}\.SH$/);
      if (info.exchange === 'SZSE') assert.match(info.symbol, /^[03]\d{5}\.SZ$/);
    }
  });

  test('every entry is plausible: currency, prevClose on the tick grid, volatility, limits', () => {
    const seen = new Set<string>();
    for (const info of DEFAULT_UNIVERSE) {
      assert.ok(!seen.has(info.symbol), `duplicate ${info.symbol}`);
      seen.add(info.symbol);
      const china = info.exchange === 'SSE' || info.exchange === 'SZSE';
      assert.equal(info.currency, china ? 'CNY' : 'USD');
      assert.ok(info.prevClose > 1 && info.prevClose < 5000, `${info.symbol} prevClose ${info.prevClose}`);
      assert.equal(Math.round(info.prevClose * 100) / 100, info.prevClose);
      assert.ok(info.volatility >= 0.1 && info.volatility <= 1, `${info.symbol} volatility`);
      if (!china) assert.equal(info.limitPct, null);
      else if (/^(300|301|688|689)/.test(info.symbol)) assert.equal(info.limitPct, 0.2, info.symbol);
      else assert.equal(info.limitPct, 0.1, info.symbol);
    }
    // Both limit regimes are represented.
    assert.ok(DEFAULT_UNIVERSE.some((s) => s.limitPct === 0.2), 'DEFAULT_UNIVERSE.some((s) => s.limitPct === 0.2)');
    assert.ok(DEFAULT_UNIVERSE.some((s) => s.limitPct === 0.1), 'DEFAULT_UNIVERSE.some((s) => s.limitPct === 0.1)');
  });
});

describe('buildUniverse', () => {
  test('a count takes the default universe first, then synthetic SYM00001...', () => {
    const small = buildUniverse(5);
    assert.deepEqual(
      small.map((s) => s.symbol),
      DEFAULT_UNIVERSE.slice(0, 5).map((s) => s.symbol),
    );
    const big = buildUniverse(10_000);
    assert.equal(big.length, 10_000);
    assert.equal(new Set(big.map((s) => s.symbol)).size, 10_000);
    assert.equal(big[DEFAULT_UNIVERSE.length]!.symbol, 'SYM00001');
    assert.equal(big[9_999]!.symbol, syntheticSymbol(10_000 - DEFAULT_UNIVERSE.length));
    for (const info of big.slice(DEFAULT_UNIVERSE.length)) {
      assert.ok(info.prevClose >= 5 && info.prevClose <= 500, 'info.prevClose >= 5 && info.prevClose <= 500');
      assert.ok(info.volatility >= 0.15 && info.volatility <= 0.6, 'info.volatility >= 0.15 && info.volatility <= 0.6');
      assert.equal(info.limitPct, null);
    }
  });

  test('synthetic parameters do not depend on anything but the symbol', () => {
    assert.deepEqual(buildUniverse(200)[150], buildUniverse(300)[150]);
    assert.deepEqual(describeSymbol('SYM00042'), describeSymbol('SYM00042'));
    assert.notEqual(describeSymbol('SYM00042').prevClose, describeSymbol('SYM00043').prevClose);
  });

  test('a list resolves known symbols and describes unknown ones by their code', () => {
    const universe = buildUniverse(['AAPL', '600519.SH', '688599.SH', '002001.SZ', 'ZZZZ']);
    assert.equal(universe[0], findDefaultSymbol('AAPL'));
    assert.equal(universe[1]!.name, '贵州茅台');
    assert.equal(universe[2]!.exchange, 'SSE');
    assert.equal(universe[2]!.limitPct, 0.2);
    assert.equal(universe[3]!.exchange, 'SZSE');
    assert.equal(universe[3]!.currency, 'CNY');
    assert.equal(universe[3]!.limitPct, 0.1);
    assert.equal(universe[4]!.currency, 'USD');
    assert.equal(universe[4]!.limitPct, null);
  });

  test('rejects bad input', () => {
    assert.throws(() => buildUniverse(0), RangeError);
    assert.throws(() => buildUniverse(1.5), RangeError);
    assert.throws(() => buildUniverse(10_000_000), RangeError);
    assert.throws(() => buildUniverse([]), RangeError);
    assert.throws(() => buildUniverse(['AAPL', 'AAPL']), /duplicate/);
    assert.throws(() => buildUniverse([' AAPL']), RangeError);
  });
});
