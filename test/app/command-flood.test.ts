import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { openClient, startTestServer } from '../helpers/server.js';

describe('a client flooding commands over a real socket', { timeout: 20_000 }, () => {
  test('is closed with 1008 after its burst and one rate_limited error; others are served meanwhile', async () => {
    const server = await startTestServer({ appHeartbeatMs: 0 });
    try {
      const flooder = await openClient(`${server.wsUrl}?symbols=AAPL`);
      await flooder.nextOfType('snapshot');
      for (let i = 0; i < 5_000; i++) flooder.send({ type: 'subscribe', symbols: ['MSFT'], id: i });
      const started = performance.now();
      const fresh = await openClient(`${server.wsUrl}?symbols=MSFT`);
      await fresh.nextOfType('welcome');
      const welcomeMs = performance.now() - started;
      const closed = await flooder.closed;
      assert.deepEqual(closed, { code: 1008, reason: 'command rate limit exceeded' });
      const errors = flooder.received.filter((e) => e.message.type === 'error');
      assert.equal(errors.length, 1);
      assert.equal(errors[0]!.message.code, 'rate_limited');
      assert.ok(flooder.received.filter((e) => e.message.type === 'subscriptions').length <= 100, 'at most the burst was executed');
      // The target is 50 ms; the bound here leaves room for a loaded CI machine.
      assert.ok(welcomeMs < 500, `a fresh client waited ${Math.round(welcomeMs)} ms for its welcome`);
      await fresh.close();
    } finally {
      await server.close();
    }
  });
});
