/**
 * End-to-end test of the connection console (`/console`), the reference article's client page:
 * connect, receive, send a command and see the reply, disconnect with the close code logged.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import type { TickstreamServer } from '../../src/app/server.js';
import { artifactPath, buildWebOnce, launchChromium, startWebServer, type PageElement, type PageGlobals } from './harness.js';

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

  test('connects, receives, sends a subscribe command, shows the reply, disconnects', { timeout: 20_000 }, async () => {
    const page = await browser.newPage({ viewport: { width: 1440, height: 860 } });
    await page.goto(`${server.url}/console`);
    const host = new URL(server.url).host;
    assert.equal(await page.inputValue('#address'), host);
    assert.equal(await page.inputValue('#scheme'), 'ws');
    assert.equal(await page.isDisabled('#send'), true);

    await page.fill('#address', `${host}/ws?symbols=600519.SH&interval=250`);
    await page.click('#connect');
    await logEntry(page, 'Connection opened');
    await logEntry(page, 'Receive: {"type":"welcome"');
    await logEntry(page, 'Receive: {"type":"quotes"');
    assert.equal(await page.textContent('#conn-state'), 'open');

    await page.click('#examples button:has-text("subscribe AAPL")');
    assert.equal(await page.inputValue('#message'), '{"type":"subscribe","symbols":["AAPL"],"id":1}');
    await page.click('#send');
    await logEntry(page, 'Send: {"type":"subscribe","symbols":["AAPL"],"id":1}');
    await logEntry(page, 'Receive: {"type":"subscriptions","id":1');
    const reply = await page.$$eval('#log .receive .text', (els: PageElement[]) =>
      els.map((e) => e.textContent ?? '').find((t) => t.includes('"subscriptions"')),
    );
    const ack = JSON.parse((reply ?? '').replace(/^Receive: /, '')) as { symbols: string[] };
    assert.deepEqual([...ack.symbols].sort(), ['600519.SH', 'AAPL']);

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

  test('logs a failed connection with its close code', { timeout: 15_000 }, async () => {
    const page = await browser.newPage();
    await page.goto(`${server.url}/console`);
    // A path the server does not upgrade: the handshake is refused.
    await page.fill('#address', `${new URL(server.url).host}/not-a-websocket-path`);
    await page.click('#connect');
    await logEntry(page, 'Error:');
    await logEntry(page, 'Connection closed (1006');
    await page.close();
  });
});
