import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConnectParams, type HubConnection } from '../../src/hub/index.js';
import { connect, WebSocketServer, type WebSocketConnection } from '../../src/transport/index.js';
import { listenHttp } from '../helpers/events.js';
import { FakeFeed, hubOver, prices } from './fakes.js';

type Msg = { type: string; [key: string]: any };

/** Queues a client's parsed messages so a test can await them in order. */
function inbox(conn: WebSocketConnection) {
  const queue: Msg[] = [];
  let waiter: (() => void) | null = null;
  conn.on('message', (data) => {
    queue.push(JSON.parse(data.toString('utf8')));
    waiter?.();
  });
  return {
    async next(timeoutMs = 3000): Promise<Msg> {
      const deadline = Date.now() + timeoutMs;
      while (queue.length === 0) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error('timed out waiting for a message');
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          waiter = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        waiter = null;
      }
      return queue.shift()!;
    },
  };
}

async function setup(deflate = false) {
  const http = await listenHttp();
  const feed = new FakeFeed(['AAPL', 'MSFT', '600519.SH']);
  const hub = hubOver(feed, { appHeartbeatMs: 0, deflate });
  hub.start();
  const wss = new WebSocketServer({ server: http.server, heartbeatIntervalMs: 0, deflate });
  wss.on('connection', (conn) => {
    const params = parseConnectParams(new URL(conn.url, 'ws://localhost'), { intervalMs: 1000 });
    if ('error' in params) return conn.close(1008, params.error);
    const hubConn: HubConnection = conn; // the real connection satisfies the hub's narrow interface
    hub.attach(hubConn, params);
  });
  return {
    feed,
    hub,
    url: `ws://127.0.0.1:${http.port}/`,
    async close() {
      await hub.stop();
      await wss.close();
      await http.close();
    },
  };
}

describe('hub over the real transport', { timeout: 15_000 }, () => {
  test('a silent client receives welcome, snapshot and pushes within its interval', async () => {
    const s = await setup();
    const client = await connect(s.url + '?symbols=AAPL,600519.SH&interval=100');
    const box = inbox(client);
    const welcome = await box.next();
    assert.deepEqual([welcome.type, welcome.interval, welcome.symbols], ['welcome', 100, ['AAPL', '600519.SH']]);
    assert.deepEqual(prices((await box.next()) as never), [['AAPL', 100], ['600519.SH', 100]]);
    const pushedAt = Date.now();
    s.feed.push(['AAPL', 101], ['MSFT', 5]);
    s.feed.push(['600519.SH', 1700.5]);
    const update = await box.next(1000);
    assert.ok(Date.now() - pushedAt <= 100 + 150, 'pushed at the next 100 ms boundary');
    assert.deepEqual(prices(update as never), [['AAPL', 101], ['600519.SH', 1700.5]]);
    client.close();
    await s.close();
  });

  for (const deflate of [false, true]) {
    test(`commands round trip and shared frames reach several clients, deflate=${deflate}`, async () => {
      const s = await setup(deflate);
      // The inbox must listen before the event loop turns, or the welcome could be missed.
      const opened = await Promise.all(
        [0, 1, 2].map(() => connect(s.url + '?symbols=&interval=0', { deflate }).then((c) => ({ c, box: inbox(c) }))),
      );
      const clients = opened.map((o) => o.c);
      const boxes = opened.map((o) => o.box);
      for (const box of boxes) {
        assert.equal((await box.next()).type, 'welcome');
        assert.deepEqual((await box.next()).quotes, []);
      }
      clients.forEach((c, i) => c.send(JSON.stringify({ type: 'subscribe', symbols: ['MSFT', 'AAPL'], id: i })));
      for (const [i, box] of boxes.entries()) {
        assert.deepEqual(await box.next(), { type: 'subscriptions', id: i, symbols: ['MSFT', 'AAPL'] });
        assert.deepEqual(prices((await box.next()) as never), [['MSFT', 100], ['AAPL', 100]]);
      }
      s.feed.push(['AAPL', 123.45], ['MSFT', 321]);
      for (const box of boxes) {
        const update = await box.next();
        assert.deepEqual(prices(update as never), [['AAPL', 123.45], ['MSFT', 321]]);
        assert.equal(update.quotes[0].seq, 2);
      }
      clients[0]!.send('{"type":"nope","id":"z"}');
      const error = await boxes[0]!.next();
      assert.deepEqual([error.type, error.code, error.id], ['error', 'unknown_command', 'z']);
      assert.equal(s.hub.stats().clients, 3);
      for (const c of clients) c.close();
      await s.close();
    });
  }
});
