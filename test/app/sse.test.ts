// The SSE fallback on the same port: the same messages as text/event-stream, commands over POST,
// Last-Event-ID recovery, the same admission and limits as WebSocket.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { TickstreamServerOptions } from '../../src/app/server.js';
import { openSse } from '../helpers/sse.js';
import { startTestServer } from '../helpers/server.js';

async function withServer(options: TickstreamServerOptions, body: (url: string) => Promise<void>): Promise<void> {
  const server = await startTestServer({ appHeartbeatMs: 0, ...options });
  try {
    await body(server.url);
  } finally {
    await server.close();
  }
}

async function post(url: string, body: unknown): Promise<{ status: number; text: string }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: res.status, text: await res.text() };
}

describe('SSE on the same port', { timeout: 20_000 }, () => {
  test('GET /sse streams session, welcome, snapshot and quotes; quotes carry id EPOCH:OFFSET', async () => {
    await withServer({ feed: { kind: 'simulator', seed: 3, ticksPerSecond: 1000 } }, async (base) => {
      const stream = await openSse(`${base}/sse?symbols=AAPL,MSFT&interval=0`);
      assert.equal(stream.status, 200);
      assert.match(stream.headers.get('content-type') ?? '', /^text\/event-stream/);
      const session = JSON.parse((await stream.next((e) => e.event === 'session')).data) as { session: string; commands: string };
      assert.match(session.session, /^[A-Za-z0-9_-]{20,}$/);
      const welcome = (await stream.nextMessage('welcome')).message;
      const snapshot = await stream.nextMessage('snapshot');
      assert.equal(snapshot.id, `${welcome.epoch as string}:${snapshot.message.offset as number}`);
      const quotes = await stream.nextMessage('quotes');
      assert.match(quotes.id ?? '', new RegExp(`^${welcome.epoch as string}:\\d+$`));
      stream.close();
    });
  });

  test('commands over POST /sse/commands: replies come on the stream; an unknown session is 404', async () => {
    await withServer({}, async (base) => {
      const stream = await openSse(`${base}/sse?symbols=AAPL`);
      const { commands } = JSON.parse((await stream.next((e) => e.event === 'session')).data) as { commands: string };
      await stream.nextMessage('snapshot');
      assert.deepEqual(await post(base + commands, { type: 'subscribe', symbols: ['MSFT'], id: 7 }), { status: 202, text: '{"accepted":true}' });
      const ack = (await stream.nextMessage('subscriptions')).message;
      assert.deepEqual(ack, { type: 'subscriptions', id: 7, symbols: ['AAPL', 'MSFT'] });
      const snap = (await stream.nextMessage('snapshot')).message;
      assert.deepEqual((snap.quotes as { symbol: string }[]).map((q) => q.symbol), ['MSFT']);
      assert.equal((await post(base + commands, 'not json')).status, 202);
      assert.equal((await stream.nextMessage('error')).message.code, 'bad_json');
      assert.equal((await post(`${base}/sse/commands?session=nope`, { type: 'ping' })).status, 404);
      assert.equal((await fetch(`${base}/sse/commands?session=x`)).status, 405);
      stream.close();
    });
  });

  test('Last-Event-ID resumes exactly: recovered:true with what was missed', async () => {
    await withServer({ feed: { kind: 'simulator', seed: 5, ticksPerSecond: 1000 } }, async (base) => {
      const first = await openSse(`${base}/sse?symbols=AAPL,MSFT&interval=0`);
      await first.nextMessage('quotes');
      const last = await first.nextMessage('quotes');
      first.close();
      const watcher = await openSse(`${base}/sse?symbols=AAPL&interval=0`);
      for (let i = 0; i < 3; i++) await watcher.nextMessage('quotes'); // the market moves on
      watcher.close();
      const again = await openSse(`${base}/sse?symbols=AAPL,MSFT&interval=0`, { 'Last-Event-ID': last.id! });
      const snapshot = (await again.nextMessage('snapshot')).message;
      assert.equal(snapshot.recovered, true);
      assert.ok((snapshot.quotes as unknown[]).length > 0);
      again.close();
    });
  });

  test('the same admission as WebSocket: 400 for bad parameters, 401 without the token, 429 per address', async () => {
    await withServer({ authToken: 'sekrit', maxConnectionsPerIp: 1 }, async (base) => {
      assert.equal((await fetch(`${base}/sse?interval=7&token=sekrit`)).status, 400);
      const denied = await fetch(`${base}/sse`);
      assert.equal(denied.status, 401);
      assert.match(denied.headers.get('www-authenticate') ?? '', /^Bearer/);
      const one = await openSse(`${base}/sse?symbols=AAPL&token=sekrit`);
      await one.nextMessage('welcome');
      const two = await fetch(`${base}/sse?symbols=AAPL&token=sekrit`);
      assert.equal(two.status, 429);
      assert.equal(two.headers.get('retry-after'), '5');
      one.close();
    });
  });

  test('server shutdown ends the stream with a close event (1001)', async () => {
    const server = await startTestServer({ appHeartbeatMs: 0 });
    const stream = await openSse(`${server.url}/sse?symbols=AAPL`);
    await stream.nextMessage('snapshot');
    const closed = stream.next((e) => e.event === 'close');
    await server.close();
    assert.deepEqual(JSON.parse((await closed).data), { code: 1001, reason: 'server shutting down' });
  });
});
