// The pure parts of `tickstream watch`: table rendering, widths, backoff, URL building.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Quote } from '../../src/market/index.js';
import { watchUrl } from '../../src/app/watch.js';
import { ANSI, displayWidth, formatVolume, reconnectDelay, renderTable, type WatchRow } from '../../src/app/watch-render.js';

function quote(symbol: string, last: number, prevClose: number, extra: Partial<Quote> = {}): Quote {
  const change = Math.round((last - prevClose) * 100) / 100;
  return {
    symbol, last, bid: last - 0.01, ask: last + 0.01, open: prevClose, high: last, low: prevClose, prevClose,
    change, changePct: Math.round((change / prevClose) * 10000) / 100, volume: 1234567, ts: 0, seq: 1, ...extra,
  };
}

const fixedTime = (): string => '09:30:00';

describe('renderTable', () => {
  const rows: WatchRow[] = [
    { quote: quote('AAPL', 189.23, 187.95), name: 'Apple Inc.' },
    { quote: quote('600519.SH', 1650, 1700), name: '贵州茅台' },
    { quote: quote('FLAT', 10, 10) },
  ];

  test('plain table: header, one aligned row per symbol, signs and arrows, status line', () => {
    const text = renderTable(rows, { color: false, title: 'tickstream watch', status: 'connected', formatTime: fixedTime });
    const lines = text.split('\n');
    assert.equal(lines.at(-1), '', 'ends with a newline');
    assert.equal(lines[0], 'tickstream watch');
    assert.match(lines[1]!, /^SYMBOL\s+NAME\s+LAST\s+CHANGE\s+CHG%\s+VOLUME\s+TIME$/);
    assert.equal(lines[2], 'AAPL       Apple Inc.            189.23      +1.28   +0.68% ▲      1,234,567 09:30:00');
    assert.equal(lines[3], '600519.SH  贵州茅台             1650.00     -50.00   -2.94% ▼      1,234,567 09:30:00');
    assert.match(lines[4]!, /^FLAT\s+10\.00\s+0\.00\s+0\.00%\s+1,234,567 09:30:00$/);
    assert.equal(lines[5], 'connected');
    // CJK names take two cells each: both rows put LAST at the same terminal column.
    assert.equal(displayWidth(lines[2]!), displayWidth(lines[3]!));
  });

  test('colour: green for up, red for down, nothing for unchanged', () => {
    const text = renderTable(rows, { color: true, formatTime: fixedTime });
    const [, up, down, flat] = text.split('\n');
    assert.ok(up!.includes(`${ANSI.green}     +1.28${ANSI.reset}`) && up!.includes(`${ANSI.green}▲${ANSI.reset}`));
    assert.ok(down!.includes(`${ANSI.red}    -50.00${ANSI.reset}`) && down!.includes(`${ANSI.red}▼${ANSI.reset}`));
    assert.ok(!flat!.includes(ANSI.green) && !flat!.includes(ANSI.red));
  });

  test('80 columns keep the names; narrower terminals drop columns and never wrap, down to 20', () => {
    const classic = renderTable(rows, { color: false, width: 80, title: 'tickstream watch ws://a-long-host-name.example:8765/ws?symbols=AAPL', formatTime: fixedTime });
    assert.ok(classic.includes('NAME') && classic.includes('Apple Inc.'), 'names at 80 columns');
    const narrow = renderTable(rows, { color: false, width: 70, formatTime: fixedTime });
    assert.ok(!narrow.includes('NAME') && !narrow.includes('Apple'));
    for (const width of [80, 70, 62, 50, 41, 31, 20]) {
      for (const color of [false, true]) {
        const text = renderTable(rows, { color, width, title: 'x'.repeat(100), status: 'reconnecting in 3s', formatTime: fixedTime });
        // eslint-disable-next-line no-control-regex
        for (const line of text.split('\n')) assert.ok(displayWidth(line.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '')) <= width, `${width}: ${line}`);
        assert.ok(text.includes('AAPL'), `${width}: the symbols stay`);
      }
    }
    const many = Array.from({ length: 30 }, (_, i) => ({ quote: quote(`S${i}`, 1, 1) }));
    const short = renderTable(many, { color: false, height: 10, formatTime: fixedTime }).split('\n');
    assert.equal(short.filter((l) => /^S\d+ /.test(l)).length, 6);
    assert.ok(short.includes('… 24 more'));
  });

  test('long names are cut with an ellipsis; no rows shows a waiting line', () => {
    const text = renderTable([{ quote: quote('X', 1, 1), name: 'A Very Long Company Name Holdings' }], { color: false, formatTime: fixedTime });
    assert.match(text, /A Very Long Com… /);
    assert.match(renderTable([], { color: false }), /waiting for quotes/);
  });
});

describe('helpers', () => {
  test('formatVolume groups thousands without locale', () => {
    assert.equal(formatVolume(0), '0');
    assert.equal(formatVolume(999), '999');
    assert.equal(formatVolume(1000), '1,000');
    assert.equal(formatVolume(1234567890), '1,234,567,890');
  });

  test('reconnectDelay grows exponentially, is capped, and jitters within [ceiling/2, ceiling]', () => {
    assert.equal(reconnectDelay(0, () => 0), 250);
    assert.equal(reconnectDelay(0, () => 1), 500);
    assert.equal(reconnectDelay(3, () => 1), 4000);
    assert.equal(reconnectDelay(50, () => 1), 30_000);
    assert.equal(reconnectDelay(50, () => 0), 15_000);
    const samples = new Set(Array.from({ length: 20 }, (_, i) => reconnectDelay(4, () => i / 20)));
    assert.ok(samples.size > 10, 'jitter spreads reconnects');
  });

  test('watchUrl adds the scheme and the subscription query', () => {
    assert.equal(watchUrl('localhost:8765', ['AAPL', '600519.SH'], 250).href, 'ws://localhost:8765/?symbols=AAPL%2C600519.SH&interval=250');
    assert.equal(watchUrl('https://q.example/ws', []).href, 'wss://q.example/ws');
    assert.throws(() => watchUrl('ftp://x', []), /unsupported URL scheme/);
  });
});
