// Interop with the `ws` package, an independent implementation, in both directions.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer as WsServer } from 'ws';
import { connect, WebSocketServer } from '../../src/transport/index.js';
import { listenHttp, nextEvent } from '../helpers/events.js';

const SIZES = [0, 125, 126, 65535, 65536, 16 << 20];

function wsMessage(ws: WebSocket): Promise<[Buffer, boolean]> {
  return new Promise((resolve, reject) => {
    ws.once('message', (data, isBinary) => resolve([Buffer.isBuffer(data) ? data : Buffer.from(data as ArrayBuffer), !isBinary]));
    ws.once('error', reject);
  });
}

describe('our server, ws client', { timeout: 90_000 }, () => {
  for (const deflate of [false, true]) {
    test(`echo sizes, text, fragments, ping, close codes (deflate=${deflate})`, async () => {
      const http = await listenHttp();
      const wss = new WebSocketServer({ server: http.server, maxPayload: 32 << 20, deflate, heartbeatIntervalMs: 0 });
      wss.on('connection', (conn) => conn.on('message', (d, isText) => conn.send(d, { binary: !isText })));
      const url = `ws://127.0.0.1:${http.port}/`;
      const ws = new WebSocket(url, { perMessageDeflate: deflate, maxPayload: 32 << 20 });
      await nextEvent(ws, 'open');
      assert.equal(ws.extensions.includes('permessage-deflate'), deflate);
      for (const size of SIZES) {
        const payload = Buffer.alloc(size, 7);
        const got = wsMessage(ws);
        ws.send(payload);
        const [data, isText] = await got;
        assert.equal(isText, false);
        assert.ok(data.equals(payload), `size ${size}`);
      }
      const text = '涨停 limit-up ▲ 600519.SH';
      let got = wsMessage(ws);
      ws.send(text);
      assert.equal((await got)[0].toString(), text);
      // A fragmented text message: three frames.
      got = wsMessage(ws);
      ws.send('frag', { fin: false });
      ws.send('men', { fin: false });
      ws.send('ted', { fin: true });
      assert.equal((await got)[0].toString(), 'fragmented');
      const pong = nextEvent<[Buffer]>(ws, 'pong');
      ws.ping('p');
      assert.equal((await pong)[0].toString(), 'p');
      const closed = nextEvent<[number, Buffer]>(ws, 'close');
      ws.close(4321, 'done');
      assert.equal((await closed)[0], 4321);
      await wss.close();
      await http.close();
    });
  }

  test('a message with more fragments than maxFragments closes with 1009', async () => {
    const http = await listenHttp();
    const wss = new WebSocketServer({ server: http.server, maxFragments: 3, heartbeatIntervalMs: 0 });
    wss.on('connection', (conn) => conn.on('message', (d, isText) => conn.send(d, { binary: !isText })));
    const ws = new WebSocket(`ws://127.0.0.1:${http.port}/`);
    await nextEvent(ws, 'open');
    const got = wsMessage(ws);
    for (const [i, part] of ['a', 'b', 'c'].entries()) ws.send(part, { fin: i === 2 });
    assert.equal((await got)[0].toString(), 'abc', 'three fragments are within the limit');
    const closed = nextEvent<[number, Buffer]>(ws, 'close');
    for (const [i, part] of ['a', 'b', 'c', 'd'].entries()) ws.send(part, { fin: i === 3 });
    assert.equal((await closed)[0], 1009);
    await wss.close();
    await http.close();
  });

  test('each valid close code from a ws client reaches our server', async () => {
    const http = await listenHttp();
    const wss = new WebSocketServer({ server: http.server, heartbeatIntervalMs: 0 });
    const url = `ws://127.0.0.1:${http.port}/`;
    for (const code of [1000, 1001, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 4999]) {
      const conn = nextEvent<[import('../../src/transport/index.js').WebSocketConnection]>(wss, 'connection');
      const ws = new WebSocket(url);
      await nextEvent(ws, 'open');
      const [server] = await conn;
      const seen = nextEvent<[number, string]>(server, 'close');
      ws.close(code, `r${code}`);
      assert.deepEqual(await seen, [code, `r${code}`]);
    }
    await wss.close();
    await http.close();
  });
});

describe('our client, ws server', { timeout: 90_000 }, () => {
  for (const deflate of [false, true]) {
    test(`echo sizes, fragments from the server, close codes (deflate=${deflate})`, async () => {
      const http = createServer();
      const wss = new WsServer({ server: http, perMessageDeflate: deflate, maxPayload: 32 << 20 });
      wss.on('connection', (ws) => {
        ws.on('message', (data, isBinary) => {
          if (!isBinary && data.toString() === 'fragments please') {
            ws.send('one-', { fin: false });
            ws.send('two-', { fin: false });
            ws.send('three', { fin: true });
          } else if (!isBinary && data.toString().startsWith('close ')) {
            ws.close(Number(data.toString().slice(6)), 'as asked');
          } else ws.send(data, { binary: isBinary });
        });
      });
      await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
      const url = `ws://127.0.0.1:${(http.address() as AddressInfo).port}/`;
      const c = await connect(url, { deflate, maxPayload: 32 << 20 });
      assert.equal(c.extensions.includes('permessage-deflate'), deflate);
      for (const size of SIZES) {
        const payload = Buffer.alloc(size, 3);
        const got = nextEvent<[Buffer, boolean]>(c, 'message', 15_000);
        c.send(payload);
        const [data, isText] = await got;
        assert.equal(isText, false);
        assert.ok(data.equals(payload), `size ${size}`);
      }
      let got = nextEvent<[Buffer, boolean]>(c, 'message');
      c.send('fragments please');
      assert.equal((await got)[0].toString(), 'one-two-three');
      got = nextEvent<[Buffer, boolean]>(c, 'message');
      c.send('Ω text');
      assert.deepEqual([(await got)[0].toString(), (await got)[1]], ['Ω text', true]);
      const pong = nextEvent<[Buffer]>(c, 'pong');
      c.ping('x');
      assert.equal((await pong)[0].toString(), 'x');
      const closed = nextEvent<[number, string]>(c, 'close');
      c.send('close 4000');
      assert.deepEqual(await closed, [4000, 'as asked']);
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((r) => wss.close(() => r()));
      await new Promise<void>((r) => http.close(() => r()));
    });
  }
});
