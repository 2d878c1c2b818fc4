/**
 * The hub's interest hook (QuoteHub.watchInterest, wired to QuoteFeed.interest by `serve`): the
 * union of the clients' explicit subscriptions, told when it changes, never per tick; `*` adds nothing.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TickstreamServer } from '../../../src/app/server.js';
import { openClient, startTestServer } from '../../helpers/server.js';

describe('QuoteHub.watchInterest', () => {
  let server: TickstreamServer;
  const calls: string[][] = [];
  let waiters: (() => void)[] = [];

  const untilCall = (expected: string[], what: string): Promise<void> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        if (JSON.stringify(calls.at(-1)) !== JSON.stringify(expected)) return;
        clearTimeout(timer);
        waiters = waiters.filter((w) => w !== check);
        resolve();
      };
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}; calls: ${JSON.stringify(calls)}`)), 5_000);
      waiters.push(check);
      check();
    });

  before(async () => {
    server = await startTestServer({ intervalMs: 0 });
    server.hub.watchInterest((symbols) => {
      calls.push([...symbols].sort());
      for (const w of [...waiters]) w();
    });
  });
  after(async () => {
    await server.close();
  });

  test('follows subscriptions, unsubscriptions and disconnections; a * client adds nothing', async () => {
    assert.deepEqual(calls, [[]], 'told the current union at once');
    const a = await openClient(`${server.wsUrl}?symbols=AAPL,MSFT`);
    await untilCall(['AAPL', 'MSFT'], 'the first client');
    const b = await openClient(`${server.wsUrl}?symbols=MSFT,KO`);
    await untilCall(['AAPL', 'KO', 'MSFT'], 'the second client');
    const all = await openClient(`${server.wsUrl}?symbols=*`);
    await all.nextOfType('welcome');

    const before = calls.length;
    a.send({ type: 'interval', interval: 250 }); // a regroup: leaves one group, joins another
    await a.nextOfType('interval');
    b.send({ type: 'subscribe', symbols: ['JPM'] });
    await untilCall(['AAPL', 'JPM', 'KO', 'MSFT'], 'a subscribe command');
    assert.equal(calls.length, before + 1, 'the regroup did not report a transient change');

    await a.close();
    await untilCall(['JPM', 'KO', 'MSFT'], 'a client gone');
    b.send({ type: 'unsubscribe', symbols: ['KO', 'MSFT', 'JPM'] });
    await untilCall([], 'everything unsubscribed');
    await b.close();
    await all.close();
  });
});
