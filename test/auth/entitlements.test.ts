import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AuthError, Entitlements, MAX_PATTERNS, MAX_PATTERN_LENGTH } from '../../src/auth/index.js';

function invalidClaim(value: unknown): AuthError {
  try {
    Entitlements.fromClaim(value);
  } catch (err) {
    assert.ok(err instanceof AuthError, `an AuthError, got ${String(err)}`);
    assert.equal(err.reason, 'invalid_token');
    assert.match(err.message, /^entitlement claim: /);
    return err;
  }
  return assert.fail(`claim ${JSON.stringify(value)?.slice(0, 80)} was accepted`);
}

describe('Entitlements', { timeout: 10_000 }, () => {
  test('absent claim: everything allowed; empty array: nothing', () => {
    const all = Entitlements.fromClaim(undefined);
    assert.equal(all.all, true);
    assert.ok(all.allows('AAPL') && all.allows('anything.at.all'));
    assert.equal(all.describe(), 'all symbols');
    const none = Entitlements.fromClaim([]);
    assert.equal(none.all, false);
    assert.ok(!none.allows('AAPL'));
    assert.deepEqual(none.filter(['AAPL', 'MSFT']), []);
    assert.equal(none.describe(), 'no symbols');
  });

  test('plain symbols: case-insensitive, anchored whole-symbol matches', () => {
    const e = Entitlements.fromClaim(['AAPL', 'msft']);
    assert.ok(e.allows('AAPL') && e.allows('aapl') && e.allows('Msft'));
    assert.ok(!e.allows('AAPL2'), 'AAPL does not allow AAPL2');
    assert.ok(!e.allows('XAAPL'));
    assert.ok(!e.allows('AAP'));
    assert.ok(!e.allows(''));
    // Only ASCII letters fold: a symbol whose upper case is longer (ß → SS) does not sneak in.
    assert.ok(!Entitlements.fromClaim('SS').allows('ß'));
    assert.ok(Entitlements.fromClaim('BTC*').allows('btcß'));
  });

  test('string form: space- or comma-separated, mixed and repeated separators', () => {
    const e = Entitlements.fromClaim(' AAPL, MSFT,,GOOG\tBTC*  ');
    assert.deepEqual(e.filter(['AAPL', 'MSFT', 'GOOG', 'BTCUSD', 'ETHUSD']), ['AAPL', 'MSFT', 'GOOG', 'BTCUSD']);
    assert.equal(Entitlements.fromClaim('AAPL').describe(), '1 pattern: AAPL');
  });

  test('* anywhere in the list allows everything', () => {
    assert.equal(Entitlements.fromClaim('*').all, true);
    assert.equal(Entitlements.fromClaim(['AAPL', '*']).all, true);
    assert.equal(Entitlements.fromClaim('**').all, true);
  });

  test('wildcards: suffix, prefix, infix and several stars, all anchored', () => {
    const sh = Entitlements.fromClaim(['*.SH']);
    assert.ok(sh.allows('600519.SH') && sh.allows('600519.sh') && sh.allows('.SH'));
    assert.ok(!sh.allows('600519.SZ') && !sh.allows('600519.SHX') && !sh.allows('600519XSH'));
    const btc = Entitlements.fromClaim('btc*');
    assert.ok(btc.allows('BTC') && btc.allows('BTCUSD') && btc.allows('btc-eur'));
    assert.ok(!btc.allows('XBTC') && !btc.allows('BT'));
    const a = Entitlements.fromClaim('600*.SH');
    assert.ok(a.allows('600519.SH') && a.allows('600.SH'));
    assert.ok(!a.allows('601519.SH') && !a.allows('600519.SZ') && !a.allows('X600519.SH'));
    const multi = Entitlements.fromClaim('A*B*C');
    assert.ok(multi.allows('ABC') && multi.allows('AxxBxxC') && multi.allows('ABBC') && multi.allows('ACBC'));
    assert.ok(!multi.allows('AC') && !multi.allows('ACB') && !multi.allows('ABCD'));
    // Head and tail must not overlap: "A*A" needs at least two characters.
    const aa = Entitlements.fromClaim('A*A');
    assert.ok(aa.allows('AA') && aa.allows('ABA') && !aa.allows('A'));
  });

  test('regex metacharacters in patterns are literal', () => {
    const e = Entitlements.fromClaim(['A.B', 'C+D', '(E)', '^F$', '[G]', 'H|I', 'J?', 'K\\d', '{L}*']);
    assert.ok(e.allows('A.B') && !e.allows('AXB'));
    assert.ok(e.allows('C+D') && !e.allows('CCD') && !e.allows('CD'));
    assert.ok(e.allows('(E)') && !e.allows('E'));
    assert.ok(e.allows('^F$') && !e.allows('F'));
    assert.ok(e.allows('[G]') && !e.allows('G'));
    assert.ok(e.allows('H|I') && !e.allows('H') && !e.allows('I'));
    assert.ok(e.allows('J?') && !e.allows('J'));
    assert.ok(e.allows('K\\D') && !e.allows('K1'));
    assert.ok(e.allows('{L}X') && !e.allows('LX'));
    // A pathological-looking pattern is matched in linear time, not by a backtracking regex.
    const slow = Entitlements.fromClaim('*A*A*A*A*A*A*A*A*A*A*B');
    assert.ok(!slow.allows('A'.repeat(5000)));
  });

  test('filter keeps input order; describe is short', () => {
    const e = Entitlements.fromClaim(['MSFT', 'AAPL', '*.SH', 'X1', 'X2', 'X3', 'X4']);
    assert.deepEqual(e.filter(new Set(['AAPL', 'TSLA', '600519.SH', 'msft'])), ['AAPL', '600519.SH', 'msft']);
    assert.match(e.describe(), /^7 patterns: .*\(\+2\)$/);
  });

  test('malformed claims are refused, not skipped', () => {
    invalidClaim(null);
    invalidClaim(42);
    invalidClaim(true);
    invalidClaim({ AAPL: true });
    invalidClaim('');
    invalidClaim(' , ');
    invalidClaim(['AAPL', 7]);
    invalidClaim(['AAPL', { s: 'MSFT' }]);
    invalidClaim(['AAPL', ['MSFT']]);
    invalidClaim(['AAPL', '']);
    invalidClaim(['AAPL MSFT']);
    invalidClaim(['AAPL,MSFT']);
    invalidClaim(['ÄPFEL']);
    invalidClaim(['A\u0000B']);
    assert.match(invalidClaim(['X'.repeat(MAX_PATTERN_LENGTH + 1)]).message, /longer than 64/);
    Entitlements.fromClaim(['X'.repeat(MAX_PATTERN_LENGTH)]);
    assert.match(invalidClaim(Array.from({ length: MAX_PATTERNS + 1 }, (_, i) => `S${i}`)).message, /more than 10000/);
    invalidClaim(Array.from({ length: MAX_PATTERNS + 1 }, (_, i) => `S${i}`).join(' '));
    const max = Entitlements.fromClaim(Array.from({ length: MAX_PATTERNS }, (_, i) => `S${i}`));
    assert.ok(max.allows('S9999') && !max.allows('S10000'));
  });
});
