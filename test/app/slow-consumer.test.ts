// A client that stops reading while 200 others read: bounded server buffers, the others keep their
// latency, and the slow one is conflated and then closed with 1008 "slow consumer" (the policy).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { connect as netConnect, type Socket } from 'node:net';
import { test } from 'node:test';
import { METRIC_NAMES } from '../../src/app/metrics.js';
import { openClient, quotesOf, startTestServer, type TestClient } from '../helpers/server.js';

const HIGH_WATER_MARK = 16 * 1024;
const FAST_CLIENTS = 200;

/** Does the opening handshake by hand and returns the socket paused (it never reads again until told),
 *  with any frame bytes that arrived together with the 101 response. */
function openStalledSocket(port: number, path: string): Promise<{ socket: Socket; leftover: Buffer }> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host: '127.0.0.1', port }, () => {
      socket.write(
        `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
    });
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onData);
      socket.pause();
      const status = head.subarray(0, head.indexOf('\r\n')).toString('latin1');
      if (status.startsWith('HTTP/1.1 101')) resolve({ socket, leftover: head.subarray(end + 4) });
      else reject(new Error(`handshake refused: ${status}`));
    };
    socket.on('data', onData);
    socket.on('error', reject);
  });
}

/** Reads unmasked server frames until a close frame; returns its status code and reason. */
function readUntilClose(socket: Socket, leftover: Buffer): Promise<{ code: number; reason: string; bytes: number }> {
  return new Promise((resolve, reject) => {
    let buffer = leftover;
    let total = leftover.length;
    socket.on('data', (chunk: Buffer) => {
      total += chunk.length;
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        if (buffer.length < 2) return;
        const opcode = buffer[0]! & 0x0f;
        let length = buffer[1]! & 0x7f;
        let offset = 2;
        if (length === 126) {
          if (buffer.length < 4) return;
          length = buffer.readUInt16BE(2);
          offset = 4;
        } else if (length === 127) {
          if (buffer.length < 10) return;
          length = Number(buffer.readBigUInt64BE(2));
          offset = 10;
        }
        if (buffer.length < offset + length) return;
        const payload = buffer.subarray(offset, offset + length);
        buffer = buffer.subarray(offset + length);
        if (opcode === 0x8) {
          resolve({ code: payload.readUInt16BE(0), reason: payload.subarray(2).toString('utf8'), bytes: total });
          socket.destroy();
          return;
        }
      }
    });
    socket.on('error', reject);
    socket.on('close', () => reject(new Error('socket closed without a close frame')));
    socket.resume();
  });
}

async function metricValue(url: string, line: RegExp): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(line.exec(text)?.[1] ?? NaN);
}

test('a stalled client is conflated then closed; 200 readers keep their latency; buffers stay bounded', { timeout: 40_000 }, async () => {
  const server = await startTestServer({
    intervalMs: 0,
    // ~2 MB/s of JSON for a subscribe-all client: enough to fill a stalled socket's kernel buffers quickly.
    feed: { kind: 'simulator', seed: 5, symbols: 500, ticksPerSecond: 10_000, tickIntervalMs: 20 },
    highWaterMarkBytes: HIGH_WATER_MARK,
    hardLimitBytes: 8 * 1024 * 1024,
    slowCloseAfterMs: 1_000,
  });
  const fast: TestClient[] = [];
  let sampler: NodeJS.Timeout | undefined;
  try {
    for (let batch = 0; batch < FAST_CLIENTS / 50; batch++) {
      fast.push(...(await Promise.all(Array.from({ length: 50 }, () => openClient(`${server.wsUrl}?symbols=AAPL&interval=0`)))));
    }
    await Promise.all(fast.map((c) => c.nextOfType('snapshot')));

    let maxBuffered = 0;
    const heapBefore = process.memoryUsage().heapUsed;
    let maxHeap = heapBefore;
    sampler = setInterval(() => {
      for (const conn of server.clients) maxBuffered = Math.max(maxBuffered, conn.bufferedAmount);
      maxHeap = Math.max(maxHeap, process.memoryUsage().heapUsed);
    }, 10);

    const stalled = await openStalledSocket(server.port, '/?interval=0');
    const slowStart = performance.now();
    const conflating = new RegExp(`^${METRIC_NAMES.slowConsumerEvents}\\{kind="conflating"\\} (\\d+)$`, 'm');
    const closed = new RegExp(`^${METRIC_NAMES.slowConsumerEvents}\\{kind="closed"\\} (\\d+)$`, 'm');
    // Wait (event-driven through the metrics endpoint, bounded by the test timeout) for the policy to act.
    while ((await metricValue(server.url, conflating)) < 1) await fast[0]!.nextOfType('quotes');
    while ((await metricValue(server.url, closed)) < 1) await fast[0]!.nextOfType('quotes');
    const slowEnd = performance.now();
    clearInterval(sampler);

    // The stalled client, once it reads again, finds its data followed by the policy's close frame.
    const close = await readUntilClose(stalled.socket, stalled.leftover);
    assert.equal(close.code, 1008);
    assert.equal(close.reason, 'slow consumer');

    // Server-side send buffers never grew past the high-water mark plus one batch frame.
    assert.ok(maxBuffered <= HIGH_WATER_MARK + 256 * 1024, `max bufferedAmount ${maxBuffered}`);
    assert.ok(maxHeap - heapBefore < 96 * 1024 * 1024, `heap grew by ${Math.round((maxHeap - heapBefore) / 1048576)} MiB`);

    // Every reader kept receiving AAPL during the slow period, with low latency.
    const latencies: number[] = [];
    for (const client of fast) {
      const during = client.received.filter((e) => e.message.type === 'quotes' && e.at >= slowStart && e.at <= slowEnd);
      assert.ok(during.length >= 3, `a reader got only ${during.length} pushes while the slow client stalled`);
      for (const e of during) for (const q of quotesOf(e.message)) latencies.push(performance.timeOrigin + e.at - q.ts);
    }
    latencies.sort((a, b) => a - b);
    const p50 = latencies[Math.floor(latencies.length / 2)]!;
    const p99 = latencies[Math.floor(latencies.length * 0.99)]!;
    assert.ok(p50 < 150, `median latency ${p50.toFixed(1)} ms`);
    assert.ok(p99 < 1_000, `p99 latency ${p99.toFixed(1)} ms`);
  } finally {
    clearInterval(sampler);
    await Promise.all(fast.map((c) => c.close()));
    await server.close();
  }
});
