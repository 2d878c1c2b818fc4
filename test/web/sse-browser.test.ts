// The SSE fallback in a real browser: Chromium's own EventSource reads the stream, a command goes
// over fetch POST, and the session id arrives as a named event.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import type { TickstreamServer } from '../../src/app/server.js';
import { buildWebOnce, launchChromium, startWebServer } from './harness.js';

describe('SSE in Chromium (EventSource)', () => {
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

  test('EventSource gets welcome, snapshot and quotes with ids; a POSTed subscribe is acknowledged on the stream', { timeout: 20_000 }, async () => {
    const page = await browser.newPage();
    await page.goto(`${server.url}/console`);
    const result = await page.evaluate(
      () =>
        new Promise<{ types: string[]; quoteId: string; ack: string[] }>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error('timed out')), 15_000);
          const events = new EventSource('/sse?symbols=AAPL&interval=0');
          const types: string[] = [];
          let commands = '';
          let quoteId = '';
          events.addEventListener('session', (e) => {
            commands = (JSON.parse((e as unknown as { data: string }).data) as { commands: string }).commands;
          });
          events.onmessage = (e: { data: string; lastEventId: string }) => {
            const message = JSON.parse(e.data) as { type: string; id?: number; symbols?: string[] };
            types.push(message.type);
            if (message.type === 'quotes' && quoteId === '') {
              quoteId = e.lastEventId;
              void fetch(commands, { method: 'POST', body: JSON.stringify({ type: 'subscribe', symbols: ['MSFT'], id: 9 }) });
            }
            if (message.type === 'subscriptions' && message.id === 9) {
              clearTimeout(timer);
              events.close();
              resolve({ types, quoteId, ack: message.symbols ?? [] });
            }
          };
        }),
    );
    assert.deepEqual(result.types.slice(0, 2), ['welcome', 'snapshot']);
    assert.match(result.quoteId, /^[a-z0-9]+-[0-9a-f]+:\d+$/);
    assert.deepEqual(result.ack, ['AAPL', 'MSFT']);
    await page.close();
  });
});
