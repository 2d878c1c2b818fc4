// The transport's outbound budget: reading pauses above the high-water mark and resumes on drain
// without losing or reordering anything; above the hard limit the connection fails with 1008.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import WebSocket from 'ws';
import { WebSocketServer, type WebSocketConnection } from '../../src/transport/index.js';
import { listenHttp, nextEvent } from '../helpers/events.js';
import { clientFrame, rawUpgrade, readUntilClose, repeatFrame } from '../helpers/raw-client.js';

async function amplifyingEcho(options: { highWaterMark: number; hardLimit: number; stallMs?: number }) {
  const http = await listenHttp();
  const wss = new WebSocketServer({
    server: http.server,
    heartbeatIntervalMs: 0,
    outboundHighWaterMark: options.highWaterMark,
    outboundHardLimit: options.hardLimit,
    outboundStallMs: options.stallMs ?? 0,
  });
  const conns: WebSocketConnection[] = [];
  // Every message is answered with 4 KiB: a client sending fast makes the server write 4 KiB per message.
  wss.on('connection', (conn) => {
    conns.push(conn);
    conn.on('message', (data) => conn.send(`${data.toString()}:${'x'.repeat(4096)}`));
  });
  return {
    port: http.port,
    conns,
    async close() {
      await wss.close();
      await http.close();
    },
  };
}

describe('outbound budget', { timeout: 20_000 }, () => {
  test('a reading client sending 3,000 messages at once gets all 3,000 answers, in order, through many pause/resume cycles', async () => {
    const server = await amplifyingEcho({ highWaterMark: 16 * 1024, hardLimit: 64 * 1024 * 1024 });
    try {
      const ws = new WebSocket(`ws://127.0.0.1:${server.port}/`);
      await nextEvent(ws, 'open');
      const answers: number[] = [];
      const done = new Promise<void>((resolve) =>
        ws.on('message', (data: Buffer) => {
          answers.push(Number(data.toString().split(':')[0]));
          if (answers.length === 3000) resolve();
        }),
      );
      for (let i = 0; i < 3000; i++) ws.send(String(i));
      await done;
      assert.deepEqual(answers, Array.from({ length: 3000 }, (_, i) => i));
      assert.equal(server.conns[0]!.readPaused, false, 'reading resumed');
      ws.close();
      await nextEvent(ws, 'close');
    } finally {
      await server.close();
    }
  });

  test('a client that never reads: reading pauses at the high-water mark, the buffer stays bounded, and the stall closes it 1008', async () => {
    const server = await amplifyingEcho({ highWaterMark: 64 * 1024, hardLimit: 1024 * 1024, stallMs: 500 });
    try {
      const client = await rawUpgrade(server.port, '/');
      client.socket.write(repeatFrame(clientFrame(0x1, 'hi'), 50_000));
      const conn = server.conns[0]!; // 'connection' fires before the 101 is written
      const closing = nextEvent<[number, string]>(conn, 'closing', 5_000);
      // Wait for the pause, then check the buffer stays near the mark however long the client floods.
      for (let i = 0; i < 400 && !conn.readPaused; i++) await new Promise((r) => setTimeout(r, 10));
      assert.ok(conn.readPaused, 'reading paused');
      assert.ok(conn.bufferedAmount < 64 * 1024 + 8 * 1024, `buffered ${conn.bufferedAmount}`);
      assert.deepEqual(await closing, [1008, 'slow consumer']);
      const close = await readUntilClose(client);
      assert.deepEqual(close && { code: close.code, reason: close.reason }, { code: 1008, reason: 'slow consumer' });
      assert.ok(close!.messages < 50_000);
    } finally {
      await server.close();
    }
  });

  test('one send that takes the queue over the hard limit fails the connection at once with 1008', async () => {
    const http = await listenHttp();
    const wss = new WebSocketServer({ server: http.server, heartbeatIntervalMs: 0, outboundHighWaterMark: 1024, outboundHardLimit: 8 * 1024 * 1024 });
    try {
      const connected = nextEvent<[WebSocketConnection]>(wss, 'connection');
      const client = await rawUpgrade(http.port, '/');
      const [conn] = await connected;
      const closing = nextEvent<[number, string]>(conn, 'closing');
      // 16 MiB in 1 MiB messages, written in one turn: the kernel cannot take it all, the queue passes 8 MiB.
      const chunk = Buffer.alloc(1024 * 1024, 0x61);
      let sent = 0;
      for (let i = 0; i < 16; i++) if (conn.send(chunk, { binary: true })) sent++;
      assert.deepEqual(await closing, [1008, 'slow consumer']);
      assert.ok(sent < 16, 'sends after the failure are refused');
      assert.ok(conn.bufferedAmount <= 8 * 1024 * 1024, `buffered ${conn.bufferedAmount} after the failure`);
      const close = await readUntilClose(client);
      assert.equal(close?.code, 1008);
    } finally {
      await wss.close();
      await http.close();
    }
  });
});
