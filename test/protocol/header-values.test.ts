import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isToken, parseExtensions, parseProtocols, parseTokenList } from '../../src/protocol/header-values.js';

/** Best of three runs: the machine is shared, and a quadratic parser would need seconds, not ms. */
function elapsedMs(fn: () => void): number {
  let best = Infinity;
  for (let run = 0; run < 3; run++) {
    const start = process.hrtime.bigint();
    fn();
    best = Math.min(best, Number(process.hrtime.bigint() - start) / 1e6);
  }
  return best;
}

describe('parseTokenList', { timeout: 10_000 }, () => {
  test('trims, lower-cases and drops empty elements', () => {
    assert.deepEqual(parseTokenList('keep-alive, Upgrade'), ['keep-alive', 'upgrade']);
    assert.deepEqual(parseTokenList(' \tUPGRADE\t ,,  , keep-alive ,'), ['upgrade', 'keep-alive']);
    assert.deepEqual(parseTokenList(['WebSocket', 'h2c']), ['websocket', 'h2c']);
    assert.deepEqual(parseTokenList(undefined), []);
    assert.deepEqual(parseTokenList(''), []);
  });
});

describe('parseProtocols', { timeout: 10_000 }, () => {
  test('keeps order and case', () => {
    assert.deepEqual(parseProtocols('quotes.v2, Quotes.v1 ,json'), ['quotes.v2', 'Quotes.v1', 'json']);
    assert.deepEqual(parseProtocols(['a', 'b, c']), ['a', 'b', 'c']);
    assert.deepEqual(parseProtocols(undefined), []);
  });
  test('linear in the header length: 50,000 distinct protocols parse at once', () => {
    const header = Array.from({ length: 50_000 }, (_, i) => `p${i}`).join(', ');
    const started = performance.now();
    assert.equal(parseProtocols(header)?.length, 50_000);
    // A repeat check by array scan took ~1.25e9 comparisons here (seconds); a Set takes milliseconds.
    assert.ok(performance.now() - started < 1000, `took ${Math.round(performance.now() - started)} ms`);
    assert.equal(parseProtocols(`${header}, p49999`), null);
  });
  test('null on invalid tokens or duplicates', () => {
    assert.equal(parseProtocols('a b'), null);
    assert.equal(parseProtocols('a, "b"'), null);
    assert.equal(parseProtocols('a, b, a'), null);
    assert.equal(parseProtocols('chat/1'), null);
  });
});

describe('parseExtensions', { timeout: 10_000 }, () => {
  test('names, bare and valued parameters, several extensions', () => {
    const offers = parseExtensions('permessage-deflate; client_max_window_bits, permessage-deflate ;server_max_window_bits=10 ; Client_No_Context_Takeover, x-foo');
    assert.ok(offers);
    assert.equal(offers.length, 3);
    assert.equal(offers[0].name, 'permessage-deflate');
    assert.deepEqual([...offers[0].params], [['client_max_window_bits', true]]);
    assert.deepEqual([...offers[1].params], [['server_max_window_bits', '10'], ['client_no_context_takeover', true]]);
    assert.equal(offers[2].name, 'x-foo');
    assert.equal(offers[2].params.size, 0);
  });
  test('quoted-string values are unescaped and must be tokens', () => {
    const offers = parseExtensions('permessage-deflate; server_max_window_bits="1\\2"');
    assert.deepEqual([...offers![0].params], [['server_max_window_bits', '12']]);
    assert.equal(parseExtensions('a; b="x y"'), null);
    assert.equal(parseExtensions('a; b=""'), null);
    assert.equal(parseExtensions('a; b="unterminated'), null);
    assert.equal(parseExtensions('a; b="x\\'), null);
  });
  test('whitespace around = ; , and empty list elements are accepted', () => {
    const offers = parseExtensions(' , a ;  b = 1 , ,c;d\t');
    assert.deepEqual(offers!.map((o) => o.name), ['a', 'c']);
    assert.deepEqual([...offers![0].params], [['b', '1']]);
    assert.deepEqual(parseExtensions(undefined), []);
    assert.deepEqual(parseExtensions(['a', 'b; c']), parseExtensions('a, b; c'));
  });
  test('duplicate parameters are flagged, first value kept', () => {
    const [offer] = parseExtensions('permessage-deflate; server_max_window_bits=10; server_max_window_bits=11')!;
    assert.deepEqual(offer.duplicateParams, ['server_max_window_bits']);
    assert.equal(offer.params.get('server_max_window_bits'), '10');
  });
  test('syntax errors give null', () => {
    for (const bad of ['a;', 'a; =1', 'a b', ';a', 'a; b=', 'a; b=c d', 'a, "b"', 'a; b==1', 'a,;', 'é']) {
      assert.equal(parseExtensions(bad), null, bad);
    }
  });
  test('100 KB of commas, spaces, quotes and semicolons parse in linear time', () => {
    const size = 100 * 1024;
    const inputs = [
      ' ,'.repeat(size / 2),
      'a' + '; b="'.repeat(size / 5),
      'a; b="' + '\\"'.repeat(size / 2),
      'a;' + ' '.repeat(size) + 'b',
      'x' + ' '.repeat(size) + 'y',
      'a; b=' + ' '.repeat(size) + '"c',
    ];
    for (const input of inputs) {
      const ms = elapsedMs(() => parseExtensions(input));
      assert.ok(ms < 50, `parseExtensions took ${ms} ms`);
      const ms2 = elapsedMs(() => {
        parseProtocols(input);
        parseTokenList(input);
      });
      assert.ok(ms2 < 50, `token lists took ${ms2} ms`);
    }
  });
});

test('isToken', () => {
  assert.equal(isToken("!#$%&'*+-.^_`|~09azAZ"), true);
  for (const bad of ['', 'a b', 'a,b', 'a"', 'a/b', 'é', 'a\x00']) assert.equal(isToken(bad), false, bad);
});
