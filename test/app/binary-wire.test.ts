// The binary encoding end to end: a client offering the subprotocol tickstream.bin.v1 (here the
// independent `ws` client) gets every message as a binary frame that decodes to exactly what a JSON
// client of the same subscription gets; commands are still JSON text.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import WebSocket from 'ws';
import { BINARY_SUBPROTOCOL, decodeServerMessageBinary, type ServerMessage } from '../../src/wire/index.js';
import { startTestServer } from '../helpers/server.js';
import { Inbox } from '../helpers/inbox.js';

function client(url: string, protocols: string[]): { ws: WebSocket; inbox: Inbox<{ message: ServerMessage; binary: boolean }>; opened: Promise<void> } {
  const ws = new WebSocket(url, protocols);
  const inbox = new Inbox<{ message: ServerMessage; binary: boolean }>();
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    inbox.push({ message: isBinary ? decodeServerMessageBinary(new Uint8Array(data)) : (JSON.parse(data.toString()) as ServerMessage), binary: isBinary });
  });
  const opened = new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return { ws, inbox, opened };
}

const next = (inbox: Inbox<{ message: ServerMessage; binary: boolean }>, type: string) =>
  inbox.next((e) => e.message.type === type, 5_000, () => `no ${type} message`);

describe('tickstream.bin.v1 over WebSocket', { timeout: 20_000 }, () => {
  test('binary frames that decode to the same messages a JSON client gets; commands stay JSON', async () => {
    const server = await startTestServer({ appHeartbeatMs: 0, feed: { kind: 'simulator', seed: 9, ticksPerSecond: 500 } });
    try {
      const url = `${server.wsUrl}ws?symbols=AAPL,MSFT&interval=0`;
      const bin = client(url, [BINARY_SUBPROTOCOL]);
      const json = client(url, []);
      await Promise.all([bin.opened, json.opened]);
      assert.equal(bin.ws.protocol, BINARY_SUBPROTOCOL);
      assert.equal(json.ws.protocol, '');

      const welcome = await next(bin.inbox, 'welcome');
      assert.equal(welcome.binary, true);
      assert.equal((welcome.message as { epoch: string }).epoch, server.hub.cache.epoch);
      const snapshot = await next(bin.inbox, 'snapshot');
      assert.equal(snapshot.binary, true);

      // The same ticks, in both encodings: compare the quotes of the same offsets.
      const seen = async (inbox: typeof bin.inbox, count: number) => {
        const byOffset = new Map<number, unknown>();
        while (byOffset.size < count) {
          const e = await next(inbox, 'quotes');
          const m = e.message as { offset: number; quotes: unknown };
          byOffset.set(m.offset, m.quotes);
        }
        return byOffset;
      };
      const [b, j] = await Promise.all([seen(bin.inbox, 10), seen(json.inbox, 10)]);
      const common = [...b.keys()].filter((offset) => j.has(offset));
      assert.ok(common.length >= 5, `${common.length} batches in common`);
      for (const offset of common) assert.deepEqual(b.get(offset), j.get(offset), `offset ${offset}`);

      bin.ws.send(JSON.stringify({ type: 'subscribe', symbols: ['600519.SH'], id: 'x' }));
      const ack = await next(bin.inbox, 'subscriptions');
      assert.equal(ack.binary, true);
      assert.deepEqual(ack.message, { type: 'subscriptions', id: 'x', symbols: ['AAPL', 'MSFT', '600519.SH'] });
      bin.ws.send('not json');
      const error = await next(bin.inbox, 'error');
      assert.equal((error.message as { code: string }).code, 'bad_json');
      bin.ws.close();
      json.ws.close();
    } finally {
      await server.close();
    }
  });
});
