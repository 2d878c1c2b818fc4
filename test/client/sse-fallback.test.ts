// The SDK falls back to SSE when WebSocket is blocked: a reverse proxy that forwards plain HTTP
// (streaming responses included) but drops every Upgrade request, as some corporate proxies do.
import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import { nodeSocket, TickstreamClient, withSseFallback } from '../../src/client/node.js';
import { startTestServer } from '../helpers/server.js';

/** An HTTP proxy to `port` that refuses WebSocket: upgrade requests are dropped without an answer. */
async function noUpgradeProxy(port: number): Promise<{ port: number; upgrades: () => number; close(): Promise<void> }> {
  let upgrades = 0;
  const server: Server = createServer((req, res) => {
    const upstream = request({ host: '127.0.0.1', port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    res.on('close', () => upstream.destroy());
    req.pipe(upstream);
  });
  server.on('upgrade', (_req, socket) => {
    upgrades++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    upgrades: () => upgrades,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('SDK: SSE fallback through a proxy that refuses Upgrade', { timeout: 30_000 }, () => {
  test('the client goes live over SSE, receives quotes, and its commands work', async () => {
    const server = await startTestServer({ feed: { kind: 'simulator', seed: 4, ticksPerSecond: 400 }, appHeartbeatMs: 0 });
    const proxy = await noUpgradeProxy(server.port);
    const client = new TickstreamClient({
      url: `ws://127.0.0.1:${proxy.port}/ws`,
      symbols: ['AAPL'],
      interval: 0,
      socket: withSseFallback(nodeSocket()),
    });
    try {
      const live = client.next('state', (e) => e.state === 'live');
      client.start();
      await live;
      assert.ok(proxy.upgrades() >= 1, 'WebSocket was tried first');
      const quotes = await client.next('quotes', (e) => e.quotes.some((q) => q.symbol === 'AAPL'));
      assert.ok(quotes.offset > 0);
      const { symbols } = await client.subscribe(['MSFT']);
      assert.deepEqual(symbols, ['AAPL', 'MSFT']);
      await client.next('quotes', (e) => e.quotes.some((q) => q.symbol === 'MSFT'));
      assert.ok(client.last('MSFT') !== undefined);
    } finally {
      client.stop();
      await proxy.close();
      await server.close();
    }
  });

  test('without the proxy in the way, WebSocket is used (SSE is only a fallback)', async () => {
    const server = await startTestServer({ appHeartbeatMs: 0 });
    let sseUsed = false;
    const client = new TickstreamClient({
      url: `${server.wsUrl}ws`,
      symbols: ['AAPL'],
      socket: withSseFallback(nodeSocket(), (_request, handlers) => {
        sseUsed = true;
        queueMicrotask(() => handlers.onClose({ kind: 'network', message: 'unused' }));
        return { send: () => {}, close: () => {} };
      }),
    });
    try {
      const live = client.next('state', (e) => e.state === 'live');
      client.start();
      await live;
      assert.equal(sseUsed, false);
      assert.equal(server.clients.size, 1, 'one WebSocket connection');
    } finally {
      client.stop();
      await server.close();
    }
  });
});
