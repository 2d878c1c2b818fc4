// The browser entry: the client over a WHATWG-style WebSocket (the `ws` package stands in for the
// browser's, with the same onopen/onmessage/onclose surface) against a real server. The token goes
// in ?token=, and a refusal is invisible (close 1006), so it is retried until maxAttempts.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { WebSocket as WsWebSocket } from 'ws';
import type { TickstreamServer } from '../../src/app/server.js';
import { browserSocket, TickstreamClient, type PlatformWebSocketConstructor } from '../../src/client/index.js';
import { startTestServer } from '../helpers/server.js';
import { within } from './fake-socket.js';

const PlatformWebSocket = WsWebSocket as unknown as PlatformWebSocketConstructor;

describe('browser socket', { timeout: 20_000 }, () => {
  let server: TickstreamServer;
  before(async () => {
    server = await startTestServer({ appHeartbeatMs: 100, authToken: 'browser-token' });
  });
  after(() => server.close());

  test('the token travels as ?token=; quotes, commands and heartbeats work', async () => {
    const client = new TickstreamClient({ url: server.url, symbols: ['AAPL'], interval: 0, token: 'browser-token', socket: browserSocket({ WebSocket: PlatformWebSocket }) });
    const live = client.next('state', (e) => e.state === 'live');
    client.start();
    await within(live, 'live');
    assert.ok(client.last('AAPL'));
    assert.deepEqual((await within(client.subscribe(['MSFT']), 'the subscribe')).symbols, ['AAPL', 'MSFT']);
    await within(client.next('quotes'), 'quotes');
    client.stop();
  });

  test('a refused upgrade looks like a failed connection: retried, then maxAttempts stops it', async () => {
    const client = new TickstreamClient({
      url: server.wsUrl,
      symbols: ['AAPL'],
      token: 'wrong',
      socket: browserSocket({ WebSocket: PlatformWebSocket }),
      reconnect: { initialDelayMs: 10, maxDelayMs: 20, maxAttempts: 3 },
    });
    const reasons: string[] = [];
    client.on('state', (e) => {
      if (e.state === 'reconnecting') reasons.push(e.reason ?? '');
    });
    const stopped = client.next('state', (e) => e.state === 'stopped');
    client.start();
    const state = await within(stopped, 'the stop');
    assert.equal(state.cause, 'max_attempts');
    assert.equal(reasons.length, 2);
    assert.match(reasons[0]!, /could not connect/);
  });

  test('without a platform WebSocket (Node 20) the browser entry says so', async () => {
    if ((globalThis as { WebSocket?: unknown }).WebSocket !== undefined) return; // Node 22+ has one
    const client = new TickstreamClient({ url: server.wsUrl, reconnect: { maxAttempts: 1 } });
    const stopped = client.next('state', (e) => e.state === 'stopped');
    client.start();
    assert.match((await within(stopped, 'the stop')).reason ?? '', /this platform has no WebSocket/);
  });
});
