/**
 * Both pages at the widths people use (a phone, a tablet, small and common laptops, a desktop), in
 * Chromium: no horizontal scrolling, every control on screen and clickable (after scrolling it into
 * view, its box is inside the viewport and a hit test at its centre lands on it), readable names,
 * the footer clear of the chart statistics; and axe-core finds no serious or critical violation.
 * Screenshots of every width go to test-artifacts/.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import type { Browser, Page } from 'playwright-core';
import type { TickstreamServer } from '../../src/app/server.js';
import { artifactPath, buildWebOnce, launchChromium, startWebServer } from './harness.js';

/** Width × height of each screen tested (height as the device would have it). */
const SCREENS: readonly { width: number; height: number }[] = [
  { width: 390, height: 844 },
  { width: 768, height: 1024 },
  { width: 1024, height: 768 },
  { width: 1280, height: 800 },
  { width: 1440, height: 900 },
];

const DASHBOARD_CONTROLS = [
  'a.brand',
  '#status',
  '#cadence',
  '#colors',
  'a.nav-link',
  '#symbol-search',
  '#watchlist-body tr[data-symbol="AAPL"]',
  '#watchlist-body tr[data-symbol="000001.SZ"]',
  '#watchlist-body tr.selected button.remove',
  '#chart-kind button[data-kind="candles"]',
  '#chart-kind button[data-kind="line"]',
  '#chart-timeframe button[data-tf="1s"]',
  '#chart-timeframe button[data-tf="5s"]',
  '#chart-timeframe button[data-tf="1m"]',
  '#chart-timeframe button[data-tf="5m"]',
];

const CONSOLE_CONTROLS = [
  'a.brand',
  'a.nav-link',
  '#scheme',
  '#address',
  '#connect',
  '#disconnect',
  '#message',
  '#send',
  '#examples button',
  '#follow',
  '#clear',
];

interface ControlCheck {
  selector: string;
  index: number;
  problem: string | null;
  box: { left: number; top: number; right: number; bottom: number };
}

/**
 * For every element matching the selectors (each must match at least one) and every other visible
 * button, select, input and link: scroll it into view, then check its box lies inside the viewport
 * and that a hit test at its centre finds it (nothing covers it).
 */
async function checkControls(page: Page, selectors: readonly string[]): Promise<ControlCheck[]> {
  return page.evaluate((wanted) => {
    const g = globalThis as unknown as {
      document: {
        querySelectorAll(s: string): ArrayLike<El>;
        elementFromPoint(x: number, y: number): El | null;
      };
      innerWidth: number;
      innerHeight: number;
    };
    interface El {
      getBoundingClientRect(): { left: number; top: number; right: number; bottom: number; width: number; height: number };
      scrollIntoView(o: object): void;
      contains(e: El | null): boolean;
      checkVisibility(o: object): boolean;
      closest(s: string): El | null;
    }
    // Every element to check, then one loop (no nested named functions: the callback is serialised).
    const todo: { selector: string; el: El; index: number }[] = [];
    const results: ControlCheck[] = [];
    for (const selector of wanted) {
      const els = g.document.querySelectorAll(selector);
      if (els.length === 0) results.push({ selector, index: -1, problem: 'missing', box: { left: 0, top: 0, right: 0, bottom: 0 } });
      for (let i = 0; i < els.length; i++) todo.push({ selector, el: els[i]!, index: i });
    }
    // Any other control the page shows (a hidden one, e.g. a row's remove button before hover, is skipped;
    // of the rows, the first, the last and the selected one are named above).
    const named = new Set(todo.map((t) => t.el));
    const others = g.document.querySelectorAll('button, select, input, a[href], [tabindex="0"]');
    for (let i = 0; i < others.length; i++) {
      const el = others[i]!;
      if (named.has(el) || el.closest('#watchlist-body') !== null) continue;
      if (el.checkVisibility({ visibilityProperty: true, opacityProperty: true })) todo.push({ selector: '(any visible control)', el, index: i });
    }
    for (const { selector, el, index } of todo) {
      el.scrollIntoView({ block: 'center', inline: 'center' });
      const r = el.getBoundingClientRect();
      const box = { left: Math.round(r.left), top: Math.round(r.top), right: Math.round(r.right), bottom: Math.round(r.bottom) };
      let problem: string | null = null;
      if (!el.checkVisibility({ visibilityProperty: true, opacityProperty: true })) problem = 'not visible';
      else if (r.width < 1 || r.height < 1) problem = 'zero size';
      else if (r.left < -0.5 || r.top < -0.5 || r.right > g.innerWidth + 0.5 || r.bottom > g.innerHeight + 0.5) problem = 'outside the viewport';
      else {
        const hit = g.document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
        if (hit === null || !(el.contains(hit) || hit.contains(el))) problem = 'covered by another element';
      }
      results.push({ selector, index, problem, box });
    }
    return results;
  }, selectors);
}

async function pageWidths(page: Page): Promise<{ scrollWidth: number; innerWidth: number; bodyScrollWidth: number }> {
  return page.evaluate(() => {
    const g = globalThis as unknown as { document: { documentElement: { scrollWidth: number }; body: { scrollWidth: number } }; innerWidth: number };
    return { scrollWidth: g.document.documentElement.scrollWidth, innerWidth: g.innerWidth, bodyScrollWidth: g.document.body.scrollWidth };
  });
}

function assertControls(results: ControlCheck[], where: string): void {
  const bad = results.filter((r) => r.problem !== null);
  assert.deepEqual(bad, [], `${where}: ${bad.map((b) => `${b.selector}[${b.index}] ${b.problem} ${JSON.stringify(b.box)}`).join('; ')}`);
}

const require = createRequire(import.meta.url);
const AXE_PATH = require.resolve('axe-core/axe.min.js');

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[]; failureSummary?: string }[];
}

/** Runs axe-core in the page; returns the serious and critical violations. */
async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  await page.addScriptTag({ path: AXE_PATH });
  const violations = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run(context: unknown, options: object): Promise<{ violations: AxeViolation[] }> } }).axe;
    const doc = (globalThis as unknown as { document: unknown }).document;
    const result = await axe.run(doc, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map((n) => ({ target: n.target, failureSummary: n.failureSummary })) }));
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

function describeViolations(violations: AxeViolation[]): string {
  return violations
    .map((v) => `${v.impact} ${v.id}: ${v.help}\n${v.nodes.map((n) => `  at ${n.target.join(' ')}: ${n.failureSummary ?? ''}`).join('\n')}`)
    .join('\n');
}

describe('responsive layout and accessibility in Chromium', () => {
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

  for (const screen of SCREENS) {
    test(`dashboard at ${screen.width}×${screen.height}: no horizontal scroll, every control reachable`, { timeout: 30_000 }, async () => {
      const context = await browser.newContext({ viewport: screen });
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${server.url}/`);
      await page.waitForSelector('#status[data-state="live"]', { timeout: 10_000 });
      await page.waitForFunction(() => (globalThis as unknown as { document: { querySelectorAll(s: string): { length: number } } }).document.querySelectorAll('#watchlist-body tr.pending').length === 0, null, { timeout: 10_000 });
      await page.waitForSelector('#details:not([hidden])', { timeout: 5000 });

      const widths = await pageWidths(page);
      assert.ok(widths.scrollWidth <= widths.innerWidth, `page is ${widths.scrollWidth} px wide in a ${widths.innerWidth} px window`);

      // Names readable: the Name column (or, on a phone, the name under the code) shows short names whole.
      const names = await page.evaluate(() => {
        const doc = (globalThis as unknown as { document: { querySelector(s: string): { clientWidth: number; scrollWidth: number; textContent: string | null; checkVisibility(): boolean } | null } }).document;
        return ['AAPL', '600519.SH'].map((symbol) => {
          const cell = doc.querySelector(`tr[data-symbol="${symbol}"] td.name`);
          const sub = doc.querySelector(`tr[data-symbol="${symbol}"] .sub-name`);
          const shown = cell !== null && cell.checkVisibility() ? cell : sub;
          return { symbol, text: shown?.textContent ?? '', width: shown?.clientWidth ?? 0, truncated: shown === null || shown.scrollWidth > shown.clientWidth };
        });
      });
      for (const n of names) {
        assert.ok(n.text.length > 0 && !n.truncated, `${n.symbol}: name "${n.text}" is cut (${n.width} px) at ${screen.width} px`);
      }
      if (screen.width >= 1280) {
        for (const n of names) assert.ok(n.width >= 120, `${n.symbol}: Name column only ${n.width} px at ${screen.width} px`);
      }

      // Every row shows its session badge once /api/markets answered (when the server serves it).
      const markets = await page.evaluate(async () => (await fetch('/api/markets')).status);
      if (markets === 200) {
        await page.waitForSelector('tr[data-symbol="AAPL"] .session:not([hidden])', { timeout: 5000 });
        const badge = await page.$eval('tr[data-symbol="AAPL"] .session', (el) => (el as unknown as { checkVisibility(): boolean }).checkVisibility());
        assert.ok(badge, 'session badge visible');
      }

      // The footer never overlaps the chart statistics (the issue's 1024×768 case), in page coordinates.
      const overlap = await page.evaluate(() => {
        const g = globalThis as unknown as { document: { querySelector(s: string): { getBoundingClientRect(): { top: number; bottom: number } } | null }; scrollY: number };
        const footer = g.document.querySelector('.footer')!.getBoundingClientRect();
        const details = g.document.querySelector('#details')!.getBoundingClientRect();
        return { footerTop: footer.top + g.scrollY, detailsBottom: details.bottom + g.scrollY };
      });
      assert.ok(overlap.footerTop >= overlap.detailsBottom - 0.5, `footer (top ${overlap.footerTop}) overlaps the chart statistics (bottom ${overlap.detailsBottom})`);

      await page.evaluate(() => (globalThis as unknown as { scrollTo(x: number, y: number): void }).scrollTo(0, 0));
      await page.screenshot({ path: artifactPath(`layout-dashboard-${screen.width}.png`), fullPage: true });
      assertControls(await checkControls(page, DASHBOARD_CONTROLS), `dashboard at ${screen.width} px`);
      // Still no horizontal scroll after every control was scrolled into view.
      const after = await pageWidths(page);
      assert.ok(after.scrollWidth <= after.innerWidth, `page is ${after.scrollWidth} px wide after scrolling`);
      assert.deepEqual(errors, []);
      await context.close();
    });

    test(`console at ${screen.width}×${screen.height}: no horizontal scroll, every control reachable`, { timeout: 30_000 }, async () => {
      const context = await browser.newContext({ viewport: screen });
      const page = await context.newPage();
      await page.goto(`${server.url}/console`);
      await page.click('#connect');
      await page.waitForSelector('#conn-state[data-state="open"]', { timeout: 5000 });
      await page.waitForSelector('#log .receive', { timeout: 5000 });
      const widths = await pageWidths(page);
      assert.ok(widths.scrollWidth <= widths.innerWidth, `console is ${widths.scrollWidth} px wide in a ${widths.innerWidth} px window`);
      await page.screenshot({ path: artifactPath(`layout-console-${screen.width}.png`), fullPage: true });
      assertControls(await checkControls(page, CONSOLE_CONTROLS), `console at ${screen.width} px`);
      const after = await pageWidths(page);
      assert.ok(after.scrollWidth <= after.innerWidth, `console is ${after.scrollWidth} px wide after scrolling`);
      await context.close();
    });
  }

  test('axe-core: no serious or critical violation on the dashboard (wide and phone)', { timeout: 40_000 }, async () => {
    for (const screen of [SCREENS[3]!, SCREENS[0]!]) {
      // Price flashes are a 0.6 s highlight of a changed cell; axe judges the steady state, so they
      // are made instantaneous (the page honours prefers-reduced-motion).
      const context = await browser.newContext({ viewport: screen, reducedMotion: 'reduce' });
      const page = await context.newPage();
      await page.goto(`${server.url}/`);
      await page.waitForSelector('#status[data-state="live"]', { timeout: 10_000 });
      await page.waitForSelector('#details:not([hidden])', { timeout: 5000 });
      // The search list open, so its options are checked too.
      await page.fill('#symbol-search', 'ba');
      await page.waitForSelector('#search-results li[data-symbol]');
      const violations = await seriousViolations(page);
      assert.equal(violations.length, 0, `dashboard at ${screen.width} px:\n${describeViolations(violations)}`);
      await context.close();
    }
  });

  for (const screen of [SCREENS[3]!, SCREENS[0]!]) {
    test(`axe-core: no serious or critical violation on the console at ${screen.width} px (a full log, and after a failure)`, { timeout: 40_000 }, async () => {
    const context = await browser.newContext({ viewport: screen });
    const page = await context.newPage();
    await page.goto(`${server.url}/console`);
    await page.click('#connect');
    await page.waitForSelector('#log .receive', { timeout: 5000 });
    // Quotes four times a second until the log scrolls (a scrolling region must be reachable by keyboard).
    await page.click('#examples button:has-text("interval 250")');
    await page.click('#send');
    await page.waitForFunction(
      () => {
        const log = (globalThis as unknown as { document: { getElementById(id: string): { scrollHeight: number; clientHeight: number } | null } }).document.getElementById('log');
        return log !== null && log.scrollHeight > log.clientHeight;
      },
      null,
      { timeout: 20_000 },
    );
    await page.click('#disconnect');
    await page.waitForSelector('#conn-state[data-state="closed"]');
    // A failed connection: the log then holds every kind of entry, and the diagnosis is shown.
    await page.fill('#address', `${new URL(server.url).host}/nowhere`);
    await page.click('#connect');
    await page.waitForSelector('#diagnosis:not([hidden])', { timeout: 10_000 });
    const violations = await seriousViolations(page);
    assert.equal(violations.length, 0, describeViolations(violations));
    await context.close();
    });
  }
});
