/**
 * End-to-end tests of the dashboard (`/`) in a real Chromium against the real server:
 * live rows, add/remove with (un)subscribe on the wire, cadence, colour convention, chart selection,
 * and reconnection across a server restart on the same port.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page, WebSocket as PwWebSocket } from 'playwright-core';
import { startServer, type TickstreamServer } from '../../src/app/server.js';
import { FakeFeed } from '../hub/fakes.js';
import { WEB_ROOT, artifactPath, buildWebOnce, launchChromium, startWebServer, type PageElement, type PageGlobals } from './harness.js';

const DEFAULT_ROWS = 13; // web/src/prefs.ts DEFAULT_WATCHLIST

interface Frame {
  type: string;
  id?: number;
  interval?: number;
  symbols?: string[];
  quotes?: { symbol: string }[];
}

/** Every JSON frame the page's WebSocket(s) receive, in order. */
function recordFrames(page: Page): Frame[] {
  const frames: Frame[] = [];
  page.on('websocket', (ws: PwWebSocket) => {
    ws.on('framereceived', ({ payload }) => {
      if (typeof payload === 'string') frames.push(JSON.parse(payload) as Frame);
    });
  });
  return frames;
}

/** Resolves when `frames` holds an entry (from index `from` on) that satisfies `match`. */
async function waitForFrame(frames: Frame[], from: number, match: (f: Frame) => boolean, timeoutMs = 5000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const index = frames.findIndex((f, i) => i >= from && match(f));
    if (index >= 0) return index;
    if (Date.now() > deadline) throw new Error(`no matching frame within ${timeoutMs} ms (${frames.length} frames seen)`);
    await new Promise((resolve) => setImmediate(resolve)); // yield to playwright's event delivery
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function lastPrices(page: Page): Promise<Record<string, string>> {
  return page.$$eval('#watchlist-body tr', (rows: PageElement[]) =>
    Object.fromEntries(rows.map((r) => [r.getAttribute('data-symbol') ?? '', r.querySelector('td.last')?.textContent ?? ''])),
  );
}

/** Waits until at least one row's last price differs from `before`. */
async function waitForPriceChange(page: Page, before: Record<string, string>, timeoutMs: number): Promise<void> {
  await page.waitForFunction(
    (prev) =>
      [...(globalThis as unknown as PageGlobals).document.querySelectorAll('#watchlist-body tr')].some((r) => {
        const text = r.querySelector('td.last')?.textContent ?? '';
        const old = prev[r.getAttribute('data-symbol') ?? ''];
        return old !== undefined && old !== '—' && text !== old;
      }),
    before,
    { timeout: timeoutMs },
  );
}

async function waitForRowsWithData(page: Page, count: number): Promise<void> {
  await page.waitForFunction((n) => (globalThis as unknown as PageGlobals).document.querySelectorAll('#watchlist-body tr:not(.pending)').length >= n, count, {
    timeout: 5000,
  });
}

describe('dashboard in Chromium', () => {
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

  test('shows the default watchlist with prices that change within 2 s of load', { timeout: 20_000 }, async () => {
    const context = await browser.newContext({ viewport: { width: 1440, height: 860 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${server.url}/`);
    const loadedAt = Date.now();

    await page.waitForSelector('#status[data-state="live"]', { timeout: 5000 });
    await waitForRowsWithData(page, DEFAULT_ROWS);
    const first = await lastPrices(page);
    assert.equal(Object.keys(first).length, DEFAULT_ROWS);
    assert.ok(first['AAPL'] !== undefined && /^\d+\.\d{2}$/.test(first['AAPL']), `AAPL last: ${first['AAPL']}`);
    await waitForPriceChange(page, first, Math.max(1, loadedAt + 2000 - Date.now()));

    // Direction is spelled out, not only coloured.
    const changes = await page.$$eval('#watchlist-body td.change', (cells) => cells.map((c) => c.textContent ?? ''));
    assert.ok(changes.every((t) => /^(▲ |▼ )?\d+\.\d+$/.test(t)), changes.join(' | '));
    assert.ok(changes.some((t) => t.startsWith('▲') || t.startsWith('▼')));
    // The once-a-second readout shows a message rate and a latency.
    await page.waitForFunction(
      () => /^\d+$/.test((globalThis as unknown as PageGlobals).document.getElementById('rate')?.textContent ?? ''),
      null,
      { timeout: 3000 },
    );
    assert.match((await page.textContent('#latency')) ?? '', /^\d+ ms$/);

    // Clicking a row charts it.
    await page.click('tr[data-symbol="600519.SH"] td.name');
    assert.equal(await page.textContent('#chart-symbol'), '600519.SH');
    assert.equal(await page.getAttribute('tr[data-symbol="600519.SH"]', 'aria-selected'), 'true');
    assert.ok((await page.locator('#chart canvas').count()) > 0, 'lightweight-charts drew canvases');

    // Colour convention switch is applied and remembered.
    await page.waitForSelector('tr[data-dir="up"] td.last');
    const upColour = (): Promise<string> => page.$eval('tr[data-dir="up"] td.last', (td: PageElement) => (globalThis as unknown as PageGlobals).getComputedStyle(td).color);
    const greenUp = await upColour();
    await page.selectOption('#colors', 'red-up');
    assert.equal(await page.getAttribute('html', 'data-colors'), 'red-up');
    const redUp = await upColour();
    assert.notEqual(redUp, greenUp);
    await page.reload();
    assert.equal(await page.getAttribute('html', 'data-colors'), 'red-up');
    await page.waitForSelector('tr[data-dir="up"] td.last');
    assert.equal(await upColour(), redUp);

    assert.deepEqual(errors, []);
    await context.close();
  });

  test('adding symbols subscribes and fills rows; removing one stops its updates', { timeout: 20_000 }, async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const frames = recordFrames(page);
    const sent: string[] = [];
    page.on('websocket', (ws) => ws.on('framesent', ({ payload }) => sent.push(String(payload))));
    await page.goto(`${server.url}/`);
    await waitForRowsWithData(page, DEFAULT_ROWS);

    // Cadence: every 250 ms, acknowledged by the server.
    let mark = frames.length;
    await page.selectOption('#cadence', '250');
    await waitForFrame(frames, mark, (f) => f.type === 'interval' && f.interval === 250);

    // Search by English name, pick with the keyboard.
    await page.fill('#symbol-search', 'netflix');
    await page.waitForSelector('#search-results li[data-symbol="NFLX"]');
    await page.press('#symbol-search', 'Enter');
    await page.waitForSelector('tr[data-symbol="NFLX"]:not(.pending)', { timeout: 5000 });
    assert.match((await page.textContent('tr[data-symbol="NFLX"] td.last')) ?? '', /^\d+\.\d{2}$/);
    assert.ok(sent.some((s) => s.includes('"subscribe"') && s.includes('NFLX')), sent.join('\n'));

    // Search by Chinese name, pick with the mouse.
    await page.fill('#symbol-search', '比亚迪');
    await page.click('#search-results li[data-symbol="002594.SZ"]');
    await page.waitForSelector('tr[data-symbol="002594.SZ"]:not(.pending)', { timeout: 5000 });
    const stored = await page.evaluate(
      () => JSON.parse((globalThis as unknown as PageGlobals).localStorage.getItem('tickstream.watchlist') ?? '[]') as string[],
    );
    assert.ok(stored.includes('NFLX') && stored.includes('002594.SZ'), stored.join(','));

    // Remove NFLX with the keyboard (Delete on the focused row).
    mark = frames.length;
    await page.focus('tr[data-symbol="NFLX"]');
    await page.keyboard.press('Delete');
    assert.equal(await page.locator('tr[data-symbol="NFLX"]').count(), 0);
    const ack = await waitForFrame(frames, mark, (f) => f.type === 'subscriptions' && !(f.symbols ?? []).includes('NFLX'));
    // After the ack, three more pushes flow (other symbols keep updating) and none carries NFLX.
    let seen = ack + 1;
    for (let i = 0; i < 3; i++) seen = (await waitForFrame(frames, seen, (f) => f.type === 'quotes')) + 1;
    const later = frames.slice(ack + 1, seen).filter((f) => f.type === 'quotes');
    assert.ok(later.length >= 3);
    assert.ok(later.every((f) => !(f.quotes ?? []).some((q) => q.symbol === 'NFLX')), 'no NFLX quote after unsubscribe');
    assert.ok(later.some((f) => (f.quotes ?? []).length > 0));
    assert.equal(await page.locator('tr[data-symbol="NFLX"]').count(), 0);
    await context.close();
  });

  test('screenshot of the dashboard', { timeout: 20_000 }, async () => {
    const context = await browser.newContext({ viewport: { width: 1440, height: 860 } });
    const page = await context.newPage();
    await page.goto(`${server.url}/`);
    await waitForRowsWithData(page, DEFAULT_ROWS);
    await page.selectOption('#cadence', '0');
    const before = await lastPrices(page);
    await waitForPriceChange(page, before, 5000);
    await page.waitForFunction(
      () => /^\d+$/.test((globalThis as unknown as PageGlobals).document.getElementById('rate')?.textContent ?? ''),
      null,
      { timeout: 3000 },
    );
    const path = artifactPath('dashboard.png');
    await page.screenshot({ path });
    await context.close();
  });
});

describe('dashboard reconnects across a server restart', () => {
  test('shows "reconnecting", then live data again, without a reload', { timeout: 30_000 }, async () => {
    await buildWebOnce();
    const browser = await launchChromium();
    let server = await startWebServer();
    const port = server.port;
    try {
      const page = await browser.newPage();
      await page.goto(`${server.url}/`);
      await waitForRowsWithData(page, DEFAULT_ROWS);
      await page.evaluate(() => Object.assign(globalThis, { sameDocument: true }));

      await server.close();
      // State and text read together: a fast retry can move the pill on between two separate reads.
      type Pill = { dataset: { state?: string }; textContent: string | null };
      await page.waitForFunction(() => {
        const pill = (globalThis as unknown as { document: { querySelector(s: string): Pill | null } }).document.querySelector('#status');
        return pill?.dataset.state === 'reconnecting' && /^Reconnecting in \d+s$/.test(pill.textContent ?? '');
      }, undefined, { timeout: 5000 });

      const oldEpoch = await page.getAttribute('html', 'data-epoch');
      server = await startWebServer(port);
      await page.waitForSelector('#status[data-state="live"]', { timeout: 15_000 });
      // The restarted server is a new stream epoch: the page follows it (bars end at the break).
      const newEpoch = await page.getAttribute('html', 'data-epoch');
      assert.equal(newEpoch, server.hub.cache.epoch);
      assert.notEqual(newEpoch, oldEpoch);
      const afterRestart = await lastPrices(page);
      await waitForPriceChange(page, afterRestart, 5000);
      assert.equal(await page.evaluate(() => (globalThis as { sameDocument?: boolean }).sameDocument), true);
    } finally {
      await browser.close();
      await server.close();
    }
  });
});

describe('dashboard shows the feed\'s health', () => {
  test('a stale feed dims the prices and says so in the status pill; up again restores them', { timeout: 30_000 }, async () => {
    await buildWebOnce();
    const browser = await launchChromium();
    const feed = new FakeFeed(['AAPL', 'MSFT', 'NVDA']);
    const server = await startServer({ host: '127.0.0.1', port: 0, logger: false, webRoot: WEB_ROOT, feed });
    try {
      const page = await browser.newPage();
      await page.goto(`${server.url}/?symbols=AAPL,MSFT`);
      await page.waitForSelector('#status[data-state="live"]', { timeout: 10_000 });
      await page.waitForSelector('html[data-fresh="yes"]', { timeout: 5000 });
      feed.setStatus({ state: 'stale', reason: 'no data from ingest for 3 s' });
      await page.waitForSelector('html[data-fresh="no"]', { timeout: 5000 });
      assert.equal(await page.textContent('#status'), 'Live · feed stale');
      assert.equal(await page.getAttribute('#status', 'title'), 'no data from ingest for 3 s');
      feed.setStatus({ state: 'up' });
      await page.waitForSelector('html[data-fresh="yes"]', { timeout: 5000 });
      assert.equal(await page.textContent('#status'), 'Live');
    } finally {
      await browser.close();
      await server.close();
    }
  });
});
