import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect as netConnect, type Socket } from 'node:net';
import { request } from 'node:http';
import { connect, WebSocketServer } from '../../src/transport/index.js';
import { listenHttp, nextEvent } from '../helpers/events.js';

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const upgradeHead = `GET /ws?x=1 HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\nX-Twice: a\r\nX-Twice: b\r\n\r\n`;

/** Reads from a raw socket until `pattern` has arrived. */
function readUntil(sock: Socket, pattern: RegExp, timeoutMs = 4000): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern}: ${JSON.stringify(text)}`)), timeoutMs);
    sock.setEncoding('latin1');
    sock.on('data', (d: string) => {
      text += d;
      if (pattern.test(text)) {
        clearTimeout(timer);
        resolve(text);
      }
    });
  });
}

function httpGet(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path }, (res) => {
      let b = '';
      res.on('data', (d) => (b += d));
      res.on('end', () => resolve(`${res.statusCode} ${b}`));
    })
      .on('error', reject)
      .end();
  });
}

describe('fast upgrade path', { timeout: 30_000 }, () => {
  test('is on for a plain http.Server and builds the request Node would', async () => {
    const http = await listenHttp();
    const wss = new WebSocketServer({ server: http.server, heartbeatIntervalMs: 0 });
    assert.equal(wss.fastUpgrade, true);
    const accepted = nextEvent<[unknown, { url: string; headers: Record<string, string> }]>(wss, 'connection');
    const sock = netConnect(http.port, '127.0.0.1', () => sock.write(upgradeHead));
    const response = await readUntil(sock, /\r\n\r\n/);
    assert.match(response, /^HTTP\/1\.1 101 Switching Protocols\r\n/);
    assert.match(response, /Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=/);
    const [, req] = await accepted;
    assert.equal(req.url, '/ws?x=1');
    assert.equal(req.headers['x-twice'], 'a, b', 'repeated headers joined as Node joins them');
    sock.destroy();
    await wss.close();
    await http.close();
  });

  test('frames sent together with the handshake are not lost', async () => {
    const http = await listenHttp();
    const wss = new WebSocketServer({ server: http.server, heartbeatIntervalMs: 0 });
    const message = new Promise<string>((resolve) => wss.on('connection', (c) => c.on('message', (d) => resolve(d.toString()))));
    // A masked text frame "hi" (mask 0) right behind the head, in the same write.
    const frame = Buffer.from([0x81, 0x82, 0, 0, 0, 0, 0x68, 0x69]);
    const sock = netConnect(http.port, '127.0.0.1', () => sock.write(Buffer.concat([Buffer.from(upgradeHead), frame])));
    sock.on('data', () => {});
    assert.equal(await message, 'hi');
    sock.destroy();
    await wss.close();
    await http.close();
  });

  test('a head split across packets falls back to Node and still upgrades', async () => {
    const http = await listenHttp();
    const wss = new WebSocketServer({ server: http.server, heartbeatIntervalMs: 0 });
    const sock = netConnect(http.port, '127.0.0.1', () => {
      sock.write(upgradeHead.slice(0, 20));
      setImmediate(() => sock.write(upgradeHead.slice(20)));
    });
    assert.match(await readUntil(sock, /\r\n\r\n/), /^HTTP\/1\.1 101 /);
    sock.destroy();
    await wss.close();
    await http.close();
  });

  test('a duplicate Host or a request line other than HTTP/1.1 is refused with 400, on both paths', async () => {
    const http = await listenHttp();
    const wss = new WebSocketServer({ server: http.server, heartbeatIntervalMs: 0 });
    const cases: Array<[string, RegExp]> = [
      [upgradeHead.replace('Host: 127.0.0.1\r\n', 'Host: 127.0.0.1\r\nHost: evil.example\r\n'), /^HTTP\/1\.1 400 [^]*duplicate Host header$/],
      [upgradeHead.replace(' HTTP/1.1\r\n', ' HTTP/2.0\r\n'), /^HTTP\/1\.1 (400|505) /],
      [upgradeHead.replace(' HTTP/1.1\r\n', ' HTTP/1.0\r\n'), /^HTTP\/1\.1 400 /],
    ];
    for (const [head, expected] of cases) {
      for (const split of [false, true]) {
        const sock = netConnect(http.port, '127.0.0.1', () => {
          if (!split) sock.write(head);
          else {
            sock.write(head.slice(0, 20)); // the fast path only takes whole heads: this goes through Node's parser
            setImmediate(() => sock.write(head.slice(20)));
          }
        });
        // Wait for the whole refusal (a Host duplicate must say why), then check it.
        const answer = await readUntil(sock, expected.source.includes('duplicate') ? /duplicate Host header/ : /\r\n\r\n/);
        assert.match(answer, expected, `${head.split('\r\n')[0]} split=${split}`);
        sock.destroy();
      }
    }
    await wss.close();
    await http.close();
  });

  test('plain HTTP, keep-alive requests and an upgrade after them all work', async () => {
    const http = await listenHttp((req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(`hello ${req.url}`);
    });
    const wss = new WebSocketServer({ server: http.server, heartbeatIntervalMs: 0 });
    assert.equal(await httpGet(http.port, '/a'), '200 hello /a');
    const sock = netConnect(http.port, '127.0.0.1', () => sock.write('GET /one HTTP/1.1\r\nHost: x\r\n\r\n'));
    await readUntil(sock, /hello \/one/);
    sock.write(upgradeHead);
    assert.match(await readUntil(sock, /101 Switching Protocols/), /101 Switching Protocols/);
    sock.destroy();
    await wss.close();
    await http.close();
  });

  test('a connection that never sends a byte is dropped after the handshake timeout', async () => {
    const http = await listenHttp();
    const wss = new WebSocketServer({ server: http.server, heartbeatIntervalMs: 0, handshakeTimeoutMs: 200 });
    const sock = netConnect(http.port, '127.0.0.1');
    sock.on('error', () => {});
    const started = Date.now();
    await nextEvent(sock, 'close', 4000);
    assert.ok(Date.now() - started >= 150, 'not dropped before the timeout');
    await wss.close();
    await http.close();
  });

  test('stays off when another connection listener exists, or when disabled', async () => {
    const http = await listenHttp();
    http.server.on('connection', () => {});
    const wss = new WebSocketServer({ server: http.server, heartbeatIntervalMs: 0 });
    assert.equal(wss.fastUpgrade, false);
    const c = await connect(`ws://127.0.0.1:${http.port}/`);
    c.terminate();
    await wss.close();
    await http.close();
    const http2 = await listenHttp();
    const wss2 = new WebSocketServer({ server: http2.server, heartbeatIntervalMs: 0, fastUpgrade: false });
    assert.equal(wss2.fastUpgrade, false);
    const c2 = await connect(`ws://127.0.0.1:${http2.port}/`);
    c2.terminate();
    await wss2.close();
    await http2.close();
  });

  test('closing the WebSocket server gives HTTP its listener back', async () => {
    const http = await listenHttp();
    const wss = new WebSocketServer({ server: http.server, heartbeatIntervalMs: 0 });
    await wss.close();
    assert.deepEqual(http.server.listeners('connection').map((f) => f.name), ['connectionListener']);
    assert.equal(await httpGet(http.port, '/'), '200 plain http');
    await http.close();
  });
});
