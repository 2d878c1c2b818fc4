/**
 * End-to-end test of the connection console (`/console`), the reference article's client page:
 * connect, receive, send a command and see the reply, disconnect with the close code logged; and
 * when a connection cannot be opened, the reason found over plain HTTP (401, 404, refused, scheme).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { startServer, type TickstreamServer } from '../../src/app/server.js';
import { WEB_ROOT, artifactPath, buildWebOnce, launchChromium, startWebServer, type PageElement, type PageGlobals } from './harness.js';

function logEntry(page: Page, text: string): Promise<unknown> {
  return page.waitForFunction(
    (needle) =>
      [...(globalThis as unknown as PageGlobals).document.querySelectorAll('#log .text')].some((el) =>
        (el.textContent ?? '').includes(needle),
      ),
    text,
    { timeout: 5000 },
  );
}

describe('connection console in Chromium', () => {
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

  test('connects with a small subscription, receives, sends the first example, shows the reply, disconnects', { timeout: 20_000 }, async () => {
    const page = await browser.newPage({ viewport: { width: 1440, height: 860 } });
    await page.goto(`${server.url}/console`);
    const host = new URL(server.url).host;
    // A readable start: two symbols, not the whole market.
    assert.equal(await page.inputValue('#address'), `${host}/ws?symbols=AAPL,MSFT`);
    assert.equal(await page.inputValue('#scheme'), 'ws');
    assert.equal(await page.isDisabled('#send'), true);

    await page.click('#connect');
    await logEntry(page, 'Connection opened');
    await logEntry(page, 'Receive: {"type":"welcome"');
    await logEntry(page, 'Receive: {"type":"quotes"');
    assert.equal(await page.textContent('#conn-state'), 'open');
    const symbolsIn = (text: string): string[] =>
      [...new Set((JSON.parse(text.replace(/^Receive: /, '')) as { quotes?: { symbol: string }[] }).quotes?.map((q) => q.symbol) ?? [])].sort();
    const firstQuotes = await page.$$eval('#log .receive .text', (els: PageElement[]) =>
      els.map((e) => e.textContent ?? '').find((t) => t.startsWith('Receive: {"type":"quotes"')),
    );
    assert.ok(symbolsIn(firstQuotes ?? '').every((s) => s === 'AAPL' || s === 'MSFT'), firstQuotes);
    assert.ok((firstQuotes ?? '').length < 2000, 'a quotes frame fits on screen');

    // The first example adds a symbol: its acknowledgement and its snapshot are visible in the log.
    await page.click('#examples button >> nth=0');
    assert.equal(await page.inputValue('#message'), '{"type":"subscribe","symbols":["600519.SH"],"id":1}');
    await page.click('#send');
    await logEntry(page, 'Send: {"type":"subscribe","symbols":["600519.SH"],"id":1}');
    await logEntry(page, 'Receive: {"type":"subscriptions","id":1');
    await logEntry(page, 'Receive: {"type":"snapshot","id":1,"quotes":[{"symbol":"600519.SH"');
    const reply = await page.$$eval('#log .receive .text', (els: PageElement[]) =>
      els.map((e) => e.textContent ?? '').find((t) => t.includes('"subscriptions"')),
    );
    const ack = JSON.parse((reply ?? '').replace(/^Receive: /, '')) as { symbols: string[] };
    assert.deepEqual([...ack.symbols].sort(), ['600519.SH', 'AAPL', 'MSFT']);

    // Enter in the message box sends too.
    await page.fill('#message', '{"type":"ping","id":7}');
    await page.press('#message', 'Enter');
    await logEntry(page, 'Receive: {"type":"pong","id":7');

    await page.click('#disconnect');
    await logEntry(page, 'Connection closed (1000');
    assert.equal(await page.textContent('#conn-state'), 'closed');
    assert.equal(await page.isEnabled('#connect'), true);
    await page.screenshot({ path: artifactPath('console.png') });

    // The link back to the dashboard exists (pages link to each other).
    assert.equal(await page.getAttribute('a.nav-link', 'href'), '/');
    await page.close();
  });

  test('a path the server does not upgrade: says 404 and which paths it does', { timeout: 15_000 }, async () => {
    const page = await browser.newPage();
    await page.goto(`${server.url}/console`);
    await page.fill('#address', `${new URL(server.url).host}/not-a-websocket-path`);
    await page.click('#connect');
    await logEntry(page, 'Error:');
    await logEntry(page, 'Connection closed (1006');
    const why = await diagnosis(page);
    assert.match(why, /^refused: 404 Not Found \(no WebSocket endpoint at \/not-a-websocket-path; this server upgrades \/ and \/ws\)$/);
    await page.close();
  });

  test('nothing listening: says the connection was refused', { timeout: 15_000 }, async () => {
    const port = await closedPort();
    const page = await browser.newPage();
    await page.goto(`${server.url}/console`);
    await page.fill('#address', `127.0.0.1:${port}/ws`);
    await page.click('#connect');
    const why = await diagnosis(page);
    assert.equal(why, `connection refused (nothing listening on 127.0.0.1:${port}, or the host is unreachable)`);
    await page.close();
  });

  test('wss:// against this plain-HTTP port: says so', { timeout: 15_000 }, async () => {
    const page = await browser.newPage();
    await page.goto(`${server.url}/console`);
    await page.selectOption('#scheme', 'wss');
    await page.click('#connect');
    const why = await diagnosis(page);
    assert.match(why, /^wss:\/\/ against a plain-HTTP port\? .* choose ws:\/\/$/);
    await page.close();
  });

  test('bad URL parameters: says 400 and the server\'s reason', { timeout: 15_000 }, async () => {
    const page = await browser.newPage();
    await page.goto(`${server.url}/console`);
    await page.fill('#address', `${new URL(server.url).host}/ws?interval=7`);
    await page.click('#connect');
    const why = await diagnosis(page);
    assert.match(why, /^refused: 400 Bad Request \(.*interval.*\)$/);
    await page.close();
  });
});

describe('connection console against servers that require a token', () => {
  let browser: Browser;
  before(async () => {
    await buildWebOnce();
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
  });

  test('JWT server (--auth-jwt-secret): no token says 401 token required; a bad one says it was refused', { timeout: 20_000 }, async () => {
    const server = await startServer({
      host: '127.0.0.1',
      port: 0,
      logger: false,
      webRoot: WEB_ROOT,
      feed: { kind: 'simulator', ticksPerSecond: 50 },
      jwt: { secret: 'a-test-secret-that-is-long-enough-for-hs256' },
    });
    try {
      const page = await browser.newPage();
      await page.goto(`${server.url}/console`);
      await page.click('#connect');
      await logEntry(page, 'Connection closed (1006');
      assert.match(await diagnosis(page), /^refused: 401 Unauthorized \(.*token required: add \?token=… to the address\)$/);

      await page.fill('#address', `${new URL(server.url).host}/ws?symbols=AAPL&token=not-a-jwt`);
      await page.click('#connect');
      await page.waitForFunction(
        () => ((globalThis as unknown as PageGlobals).document.getElementById('diagnosis')?.textContent ?? '').includes('token was refused'),
        null,
        { timeout: 10_000 },
      );
      assert.match(await diagnosis(page), /^refused: 401 Unauthorized \(.*the token was refused/);
      await page.close();
    } finally {
      await server.close();
    }
  });

  test('static token server (--auth-token): 401 without the token, connects with it', { timeout: 20_000 }, async () => {
    const server = await startServer({
      host: '127.0.0.1',
      port: 0,
      logger: false,
      webRoot: WEB_ROOT,
      feed: { kind: 'simulator', ticksPerSecond: 50 },
      authToken: 'console-test-token',
    });
    try {
      const page = await browser.newPage();
      await page.goto(`${server.url}/console`);
      await page.click('#connect');
      assert.match(await diagnosis(page), /^refused: 401 Unauthorized \(/);
      await page.fill('#address', `${new URL(server.url).host}/ws?symbols=AAPL&token=console-test-token`);
      await page.click('#connect');
      await logEntry(page, 'Connection opened');
      assert.equal(await page.isHidden('#diagnosis'), true);
      await page.close();
    } finally {
      await server.close();
    }
  });
});

/** The console's explanation of the last failed connection (waits for it). */
async function diagnosis(page: Page): Promise<string> {
  await page.waitForSelector('#diagnosis:not([hidden])', { timeout: 10_000 });
  await logEntry(page, 'Why: ');
  return (await page.textContent('#diagnosis')) ?? '';
}

/** A port on 127.0.0.1 that nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}
