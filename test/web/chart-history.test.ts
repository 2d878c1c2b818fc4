/**
 * The dashboard's chart against the real server, in Chromium: history at once (the `bars` command),
 * then live by the seam rule with no gap and no duplicate; the timeframe selector; the previous
 * close on screen; stale prices while the server is down; a new stream epoch (a restarted server, or
 * an in-band `epoch` message) replaces the chart instead of bridging it.
 *
 * The page's read-only test hook `window.__tickstream` (web/src/dashboard.ts) says what the chart
 * holds: `chartBars()` (the model), `chartSeries()` (what lightweight-charts draws), `chartInfo()`.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page, WebSocketRoute } from 'playwright-core';
import type { TickstreamServer } from '../../src/app/server.js';
import { openClient } from '../helpers/server.js';
import type { WireBar } from '../../src/wire/index.js';
import { buildWebOnce, launchChromium, startWebServer } from './harness.js';

type Bar = WireBar;
interface ChartInfo {
  symbol: string | null;
  tf: string;
  state: string;
  epoch: string | null;
  offset: number | null;
  loads: number;
  liveUpdates: number;
  folded: number;
}
interface SeriesPoint {
  time: number;
  open?: number;
  high?: number;
  low?: number;
  close?: number;
  value?: number;
}

type Hook = {
  chartBars(): Bar[];
  chartSeries(): SeriesPoint[];
  /** The model and the drawn series read in one go (pending draws flushed first). */
  chartSnapshot(): { bars: Bar[]; series: SeriesPoint[]; liveUpdates: number };
  chartInfo(): ChartInfo;
  prevClose(): { y: number | null; height: number };
  /** performance.now() (ms since navigation) when the first history / the first quote was painted. */
  firstHistoryAt(): number | null;
  firstQuotePaintedAt(): number | null;
};

function hook<K extends keyof Hook>(page: Page, name: K): Promise<ReturnType<Hook[K]>> {
  return page.evaluate((n) => {
    const h = (globalThis as unknown as { __tickstream: Record<string, () => unknown> }).__tickstream;
    return h[n]!();
  }, name) as Promise<ReturnType<Hook[K]>>;
}

/** Waits until the chart hook satisfies `predicate` (evaluated in the page, given chartInfo and the bar count). */
async function waitForChart(page: Page, predicate: string, timeoutMs: number): Promise<void> {
  await page.waitForFunction(
    (src) => {
      const h = (globalThis as unknown as { __tickstream?: { chartInfo(): ChartInfo; chartSeries(): unknown[] } }).__tickstream;
      if (h === undefined) return false;
      const info = h.chartInfo();
      const drawn = h.chartSeries().length;
      return Boolean(new Function('info', 'drawn', `return (${src});`)(info, drawn));
    },
    predicate,
    { timeout: Math.max(1, timeoutMs), polling: 20 },
  );
}

/** Bar times strictly increase (no duplicate, no disorder) and the series drawn is the model. */
function assertConsistent(bars: Bar[], series: SeriesPoint[], where: string): void {
  for (let i = 1; i < bars.length; i++) {
    assert.ok(bars[i]!.t > bars[i - 1]!.t, `${where}: bar ${i} at ${bars[i]!.t} after ${bars[i - 1]!.t}`);
  }
  assert.equal(series.length, bars.length, `${where}: the chart draws ${series.length} bars, the model has ${bars.length}`);
  for (let i = 0; i < bars.length; i++) {
    const b = bars[i]!;
    const p = series[i]!;
    assert.equal(p.time, b.t / 1000, `${where}: drawn bar ${i}`);
    if (p.close !== undefined) assert.deepEqual([p.open, p.high, p.low, p.close], [b.o, b.h, b.l, b.c], `${where}: drawn bar ${i}`);
    else assert.equal(p.value, b.c, `${where}: drawn bar ${i}`);
  }
}

/** The server's own bars, asked over a WebSocket of our own (the same command the page uses). */
async function serverBars(server: TickstreamServer, symbol: string, tf: string, limit: number): Promise<{ bars: Bar[]; epoch: string; offset: number }> {
  const client = await openClient(`${server.wsUrl}ws?symbols=`);
  try {
    client.send({ type: 'bars', symbol, tf, limit, id: 'test' });
    const reply = await client.next((m) => m.id === 'test', 5000);
    assert.equal(reply.type, 'bars', JSON.stringify(reply));
    return { bars: reply.bars as Bar[], epoch: reply.epoch as string, offset: reply.offset as number };
  } finally {
    await client.close();
  }
}

/** Completed bars (all but the newest of either side) must be identical where both have them. */
function assertSameCompletedBars(client: Bar[], server: Bar[], where: string): number {
  const lastComplete = Math.min(client[client.length - 1]?.t ?? 0, server[server.length - 1]?.t ?? 0);
  const byTime = new Map(server.map((b) => [b.t, b]));
  let compared = 0;
  for (const b of client) {
    if (b.t >= lastComplete) continue;
    const s = byTime.get(b.t);
    if (s === undefined) continue;
    assert.deepEqual(b, s, `${where}: bar at ${new Date(b.t).toISOString()}`);
    compared++;
  }
  return compared;
}

describe('dashboard chart: history, seam, timeframes, stale, epochs', () => {
  let browser: Browser;
  let server: TickstreamServer;

  before(async () => {
    await buildWebOnce();
    [browser, server] = await Promise.all([launchChromium(), startWebServer()]);
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  test('within 2 s of opening the page the chart shows ≥ 100 one-minute bars; the previous close is on screen', { timeout: 40_000 }, async () => {
    // Measured by the page's own clock, from the start of navigation to the frame showing the bars,
    // on a fresh load (a new browser context: nothing cached). The machine is shared with other test
    // processes, so a load slowed by a neighbour's CPU burst is tried again, up to 3 loads in all;
    // every figure is printed.
    const timings: number[] = [];
    let context: Awaited<ReturnType<Browser['newContext']>> | undefined;
    let page: Page | undefined;
    const errors: string[] = [];
    for (let attempt = 0; attempt < 3; attempt++) {
      await context?.close();
      context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      page = await context.newPage();
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${server.url}/`, { waitUntil: 'commit' });
      await waitForChart(page, "info.state === 'live' && info.tf === '1m' && drawn >= 100", 10_000);
      await page.waitForFunction(() => (globalThis as unknown as { __tickstream: { firstHistoryAt(): number | null } }).__tickstream.firstHistoryAt() !== null);
      timings.push((await hook(page, 'firstHistoryAt'))!);
      if (timings[timings.length - 1]! <= 2000) break;
    }
    console.log(`# history painted after ${timings.map((t) => `${Math.round(t)} ms`).join(', ')} (fresh loads)`);
    assert.ok(timings.some((t) => t <= 2000), `history painted after ${timings.join(', ')} ms`);
    page = page!;
    const info = await hook(page, 'chartInfo');
    assert.equal(info.symbol, 'AAPL');
    const { bars, series } = await hook(page, 'chartSnapshot');
    assertConsistent(bars, series, 'history');
    for (const b of bars) assert.equal(b.t % 60_000, 0, 'one-minute bars start on the minute');
    // The history is the server's.
    const fromServer = await serverBars(server, 'AAPL', '1m', 600);
    assert.ok(assertSameCompletedBars(bars, fromServer.bars, 'history vs server') >= 99);

    // The previous-close line is inside the chart pane (the price scale includes it).
    await page.waitForFunction(() => {
      const g = (globalThis as unknown as { __tickstream: { prevClose(): { y: number | null; height: number } } }).__tickstream.prevClose();
      return g.y !== null && g.height > 0;
    });
    const line = await hook(page, 'prevClose');
    assert.ok(line.y !== null && line.y >= 0 && line.y <= line.height, `prev close drawn at y=${line.y} in a ${line.height} px pane`);
    assert.deepEqual(errors, []);
    await context!.close();
  });

  test('live updates extend the last bar or start the next one, never a duplicate (1 s bars, every tick)', { timeout: 30_000 }, async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    await context.addInitScript(() => {
      const ls = (globalThis as unknown as { localStorage: { setItem(k: string, v: string): void } }).localStorage;
      ls.setItem('tickstream.cadence', '0');
      ls.setItem('tickstream.chart', JSON.stringify({ kind: 'candles', tf: '1s', symbol: 'AAPL' }));
    });
    const page = await context.newPage();
    await page.goto(`${server.url}/`);
    await waitForChart(page, "info.state === 'live' && info.tf === '1s' && drawn > 0", 5000);
    let first = await hook(page, 'chartSnapshot');
    assertConsistent(first.bars, first.series, 'after the reply');
    let before = first.bars;
    let extended = 0;
    let appended = 0;
    // Follow the live bars through several updates, across at least two new 1 s bars.
    for (let step = 0; step < 200 && (appended < 2 || extended < 1); step++) {
      await waitForChart(page, `info.liveUpdates > ${first.liveUpdates}`, 5000);
      const snap = await hook(page, 'chartSnapshot');
      const now = snap.bars;
      const last = before[before.length - 1]!;
      // Everything before the last bar is untouched; the last one grew, or one or more bars follow it.
      assert.deepEqual(now.slice(0, before.length - 1), before.slice(0, before.length - 1), 'earlier bars never change');
      const same = now[before.length - 1]!;
      assert.equal(same.t, last.t, 'the last bar keeps its time');
      assert.ok(same.h >= last.h && same.l <= last.l && same.v >= last.v, 'the last bar only grows');
      if (now.length === before.length) extended++;
      else {
        appended++;
        assert.ok(now[before.length]!.t > last.t, 'a new bar starts after the last one');
      }
      assertConsistent(now, snap.series, `update ${step}`);
      before = now;
      first = snap;
    }
    assert.ok(appended >= 2 && extended >= 1, `saw ${extended} extensions and ${appended} new bars`);

    // At every-tick cadence the bars the page built live are exactly the server's (no gap, no double count).
    const fromServer = await serverBars(server, 'AAPL', '1s', 300);
    const compared = assertSameCompletedBars(before, fromServer.bars, 'live bars vs server');
    assert.ok(compared >= 2, `compared ${compared} completed live bars`);
    await context.close();
  });

  test('the timeframe selector reloads history at that timeframe and is remembered', { timeout: 20_000 }, async () => {
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const page = await context.newPage();
    await page.goto(`${server.url}/`);
    await waitForChart(page, "info.state === 'live' && info.tf === '1m' && drawn >= 100", 5000);
    const loads = (await hook(page, 'chartInfo')).loads;
    for (const [tf, ms] of [['5m', 300_000], ['5s', 5_000], ['1s', 1_000], ['1m', 60_000]] as const) {
      await page.click(`#chart-timeframe button[data-tf="${tf}"]`);
      assert.equal(await page.getAttribute(`#chart-timeframe button[data-tf="${tf}"]`, 'aria-pressed'), 'true');
      await waitForChart(page, `info.state === 'live' && info.tf === '${tf}' && drawn > 0`, 5000);
      const { bars, series } = await hook(page, 'chartSnapshot');
      assertConsistent(bars, series, tf);
      assert.ok(bars.every((b) => b.t % ms === 0), `${tf} bars aligned to ${ms} ms`);
      if (tf === '5m') assert.ok(bars.length >= 20, `${bars.length} five-minute bars`);
    }
    assert.equal((await hook(page, 'chartInfo')).loads, loads + 4);
    // Another symbol: its own history.
    await page.click('tr[data-symbol="600519.SH"] td.last');
    await waitForChart(page, "info.state === 'live' && info.symbol === '600519.SH' && drawn >= 100", 5000);
    await page.click('#chart-timeframe button[data-tf="5m"]');
    await page.reload();
    await waitForChart(page, "info.state === 'live' && info.tf === '5m' && info.symbol === '600519.SH'", 5000);
    await context.close();
  });

  test('an in-band epoch message reloads the chart from the server instead of continuing it', { timeout: 20_000 }, async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    let route: WebSocketRoute | undefined;
    await page.routeWebSocket(/\/ws\?/, (ws) => {
      ws.connectToServer(); // messages flow both ways untouched; the test can add its own
      route = ws;
    });
    await page.goto(`${server.url}/`);
    await waitForChart(page, "info.state === 'live' && drawn >= 100", 5000);
    const info = await hook(page, 'chartInfo');
    assert.ok(route !== undefined);
    const oldEpoch = await page.getAttribute('html', 'data-epoch');
    route.send(JSON.stringify({ type: 'epoch', epoch: 'test-epoch-2', previous: oldEpoch }));
    await waitForChart(page, `info.loads === ${info.loads + 1} && info.state === 'live'`, 5000);
    assert.equal(await page.getAttribute('html', 'data-epoch'), 'test-epoch-2');
    const { bars, series } = await hook(page, 'chartSnapshot');
    assertConsistent(bars, series, 'after the epoch');
    assert.ok(bars.length >= 100);
    await context.close();
  });
});

describe('dashboard across a server restart: stale prices, then a new epoch', () => {
  test('stopping the server dims prices and says "stale since"; the restarted stream replaces the chart', { timeout: 40_000 }, async () => {
    await buildWebOnce();
    const browser = await launchChromium();
    let server = await startWebServer();
    const port = server.port;
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      await page.goto(`${server.url}/`);
      await waitForChart(page, "info.state === 'live' && drawn >= 100", 5000);
      await page.waitForSelector('html[data-fresh="yes"]');
      assert.equal(await page.isHidden('#stale-since'), true);
      const opacity = (): Promise<number> =>
        page.$eval('tr[data-symbol="AAPL"] td.last', (td) => Number((globalThis as unknown as { getComputedStyle(e: unknown): { opacity: string } }).getComputedStyle(td).opacity));
      assert.equal(await opacity(), 1);
      const oldEpoch = (await hook(page, 'chartInfo')).epoch;

      await server.close();
      await page.waitForSelector('html[data-fresh="no"]', { timeout: 5000 });
      await page.waitForSelector('#stale-since:not([hidden])', { timeout: 5000 });
      assert.match((await page.textContent('#stale-since')) ?? '', /^stale since \d\d:\d\d:\d\d$/);
      await page.waitForFunction(
        () => {
          const g = globalThis as unknown as { document: { querySelector(s: string): unknown }; getComputedStyle(e: unknown): { opacity: string } };
          return Number(g.getComputedStyle(g.document.querySelector('tr[data-symbol="AAPL"] td.last')).opacity) < 0.75;
        },
        null,
        { timeout: 3000 },
      );

      server = await startWebServer(port); // a new feed: a new epoch, other prices, its own history
      await page.waitForSelector('html[data-fresh="yes"]', { timeout: 15_000 });
      assert.equal(await page.isHidden('#stale-since'), true);
      await waitForChart(page, `info.state === 'live' && info.epoch === '${server.hub.cache.epoch}'`, 5000);
      assert.notEqual(server.hub.cache.epoch, oldEpoch);
      // The chart is the new stream's history (plus what was folded since): no bar of the old stream
      // survives, so nothing bridges the two.
      const { bars, series } = await hook(page, 'chartSnapshot');
      assertConsistent(bars, series, 'after the restart');
      const fromServer = await serverBars(server, 'AAPL', '1m', 600);
      assert.ok(assertSameCompletedBars(bars, fromServer.bars, 'new epoch') >= 99);
      await page.waitForFunction(
        () => {
          const g = globalThis as unknown as { document: { querySelector(s: string): unknown }; getComputedStyle(e: unknown): { opacity: string } };
          return Number(g.getComputedStyle(g.document.querySelector('tr[data-symbol="AAPL"] td.last')).opacity) === 1;
        },
        null,
        { timeout: 3000 },
      );
    } finally {
      await browser.close();
      await server.close();
    }
  });
});
