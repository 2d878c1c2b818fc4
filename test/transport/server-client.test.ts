import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect as netConnect } from 'node:net';
import { request } from 'node:http';
import { connect, PreparedMessage, ReadyState, WebSocketServer, type WebSocketConnection } from '../../src/transport/index.js';
import { listenHttp, nextEvent } from '../helpers/events.js';

async function echoSetup(options: Partial<ConstructorParameters<typeof WebSocketServer>[0]> = {}) {
  const http = await listenHttp();
  const wss = new WebSocketServer({ server: http.server, heartbeatIntervalMs: 0, ...options });
  wss.on('connection', (conn) => conn.on('message', (data, isText) => conn.send(data, { binary: !isText })));
  return {
    http,
    wss,
    url: `ws://127.0.0.1:${http.port}/`,
    async close() {
      await wss.close();
      await http.close();
    },
  };
}

function rawRequest(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = netConnect(port, '127.0.0.1', () => sock.write(text));
    let out = '';
    sock.setEncoding('latin1');
    sock.on('data', (d) => (out += d));
    sock.on('close', () => resolve(out));
    sock.on('error', reject);
    sock.setTimeout(4000, () => {
      sock.destroy();
      reject(new Error('raw request timed out: ' + out));
    });
  });
}

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const upgrade = (path = '/', extra = '') =>
  `GET ${path} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\n${extra}\r\n`;

describe('server and client on one HTTP port', { timeout: 60_000 }, () => {
  for (const deflate of [false, true]) {
    test(`echo of every size class, deflate=${deflate}`, async () => {
      const s = await echoSetup({ maxPayload: 32 << 20, deflate });
      const c = await connect(s.url, { deflate, maxPayload: 32 << 20 });
      assert.equal(c.extensions.startsWith('permessage-deflate'), deflate);
      for (const size of [0, 1, 125, 126, 65535, 65536, 16 << 20]) {
        const payload = Buffer.alloc(size, size % 251);
        const got = nextEvent<[Buffer, boolean]>(c, 'message', 15_000);
        c.send(payload);
        const [data, isText] = await got;
        assert.equal(isText, false);
        assert.equal(data.length, size);
        assert.ok(data.equals(payload), `binary ${size} bytes round trip`);
      }
      const text = 'price = 299.9 · 贵州茅台 ▲ 😀';
      const got = nextEvent<[Buffer, boolean]>(c, 'message');
      c.send(text);
      const [data, isText] = await got;
      assert.equal(isText, true);
      assert.equal(data.toString('utf8'), text);
      const closed = nextEvent<[number, string]>(c, 'close');
      c.close(1000, 'bye');
      // The server echoes the status code without a reason (section 5.5.1).
      assert.deepEqual(await closed, [1000, '']);
      await s.close();
    });
  }

  test('plain HTTP keeps working on the same port', async () => {
    const s = await echoSetup();
    const body = await new Promise<string>((resolve, reject) => {
      request({ host: '127.0.0.1', port: s.http.port, path: '/' }, (res) => {
        let b = '';
        res.on('data', (d) => (b += d));
        res.on('end', () => resolve(b));
      })
        .on('error', reject)
        .end();
    });
    assert.equal(body, 'plain http');
    await s.close();
  });

  test('handshake refusals per the error table', async () => {
    const s = await echoSetup({ path: '/ws', verify: (req) => (req.headers['authorization'] === 'Bearer ok' ? true : { status: 401, message: 'token required' }) });
    const p = s.http.port;
    assert.match(await rawRequest(p, upgrade('/nope')), /^HTTP\/1\.1 404 /);
    assert.match(await rawRequest(p, upgrade('/ws').replace(KEY, 'short')), /^HTTP\/1\.1 400 /);
    const v = await rawRequest(p, upgrade('/ws').replace('Version: 13', 'Version: 8'));
    assert.match(v, /^HTTP\/1\.1 426 /);
    assert.match(v, /Sec-WebSocket-Version: 13/i);
    assert.match(await rawRequest(p, upgrade('/ws')), /^HTTP\/1\.1 401 [^]*token required/);
    const ok = await connect(`ws://127.0.0.1:${p}/ws?x=1`, { headers: { authorization: 'Bearer ok' } });
    assert.equal(ok.readyState, ReadyState.OPEN);
    assert.equal(ok.url, '/ws?x=1');
    ok.terminate();
    await s.close();
  });

  test('async verify can refuse with 403 and a client sees the status', async () => {
    const s = await echoSetup({ verify: async () => ({ status: 403, message: 'origin not allowed' }) });
    await assert.rejects(connect(s.url), /403/);
    await s.close();
  });

  test('message over maxPayload closes with 1009', async () => {
    const s = await echoSetup({ maxPayload: 1000 });
    const c = await connect(s.url);
    const closed = nextEvent<[number, string]>(c, 'close');
    c.send(Buffer.alloc(1001));
    const [code] = await closed;
    assert.equal(code, 1009);
    await s.close();
  });

  test('ping is answered with pong carrying the payload', async () => {
    const s = await echoSetup();
    const c = await connect(s.url);
    const pong = nextEvent<[Buffer]>(c, 'pong');
    c.ping('are you there');
    assert.equal((await pong)[0].toString(), 'are you there');
    c.terminate();
    await s.close();
  });

  test('server close reaches the client with code and reason; server.close sends 1001', async () => {
    const s = await echoSetup();
    const c1 = await connect(s.url);
    const c2 = await connect(s.url);
    await new Promise((r) => setImmediate(r));
    const [srvConn] = [...s.wss.clients];
    const closed1 = nextEvent<[number, string]>(c1, 'close');
    const closed2 = nextEvent<[number, string]>(c2, 'close');
    srvConn!.close(4001, 'custom reason');
    const first = await Promise.race([closed1, closed2]);
    assert.deepEqual(first, [4001, 'custom reason']);
    await s.wss.close();
    const all = await Promise.all([closed1, closed2]);
    assert.ok(all.some(([code, reason]) => code === 1001 && reason === 'server shutting down'));
    await s.http.close();
  });

  test('heartbeat drops a peer that never answers pings', async () => {
    const http = await listenHttp();
    const wss = new WebSocketServer({ server: http.server, heartbeatIntervalMs: 200 });
    const conn = nextEvent<[WebSocketConnection]>(wss, 'connection');
    // A raw peer that completes the handshake and then never reads nor answers.
    const sock = netConnect(http.port, '127.0.0.1', () => sock.write(upgrade('/')));
    sock.on('error', () => {});
    const [server] = await conn;
    const started = Date.now();
    const [code] = await nextEvent<[number, string]>(server, 'close', 5000);
    assert.equal(code, 1006);
    assert.ok(Date.now() - started >= 200, 'not dropped before a full ping round');
    sock.destroy();
    await wss.close();
    await http.close();
  });

  test('idle timeout closes a silent peer with 1001', async () => {
    const s = await echoSetup({ idleTimeoutMs: 300 });
    const c = await connect(s.url);
    const [code, reason] = await nextEvent<[number, string]>(c, 'close', 5000);
    assert.equal(code, 1001);
    assert.equal(reason, 'idle timeout');
    await s.close();
  });

  test('PreparedMessage: one frame shared by all, deflated variant for deflate peers', async () => {
    const http = await listenHttp();
    const wss = new WebSocketServer({ server: http.server, deflate: true, heartbeatIntervalMs: 0 });
    const plain = await connect(`ws://127.0.0.1:${http.port}/`);
    const packed = await connect(`ws://127.0.0.1:${http.port}/`, { deflate: true });
    assert.equal(plain.extensions, '');
    assert.match(packed.extensions, /permessage-deflate/);
    const json = JSON.stringify({ type: 'quotes', quotes: Array.from({ length: 20 }, (_, i) => ({ symbol: 'AAPL', last: 100 + i })) });
    const pm = PreparedMessage.text(json, { deflate: true });
    const got = Promise.all([nextEvent<[Buffer, boolean]>(plain, 'message'), nextEvent<[Buffer, boolean]>(packed, 'message')]);
    for (const c of wss.clients) assert.equal(c.sendPrepared(pm), true);
    const [[a, aText], [b, bText]] = await got;
    assert.equal(aText && bText, true);
    assert.equal(a.toString(), json);
    assert.equal(b.toString(), json);
    assert.ok(pm.frameForDeflate(15).length < pm.byteLength, 'compressed frame is smaller');
    assert.equal(pm.frameForDeflate(15), pm.frameForDeflate(15), 'compressed once, then shared');
    plain.terminate();
    packed.terminate();
    await wss.close();
    await http.close();
  });

  test('several sends in one turn arrive in order (coalesced write)', async () => {
    const s = await echoSetup();
    const c = await connect(s.url);
    const seen: string[] = [];
    const done = new Promise<void>((resolve) =>
      c.on('message', (d) => {
        seen.push(d.toString());
        if (seen.length === 100) resolve();
      }),
    );
    for (let i = 0; i < 100; i++) c.send(`m${i}`);
    await done;
    assert.deepEqual(seen, Array.from({ length: 100 }, (_, i) => `m${i}`));
    c.terminate();
    await s.close();
  });

  test('maxConnections refuses with 503', async () => {
    const s = await echoSetup({ maxConnections: 1 });
    const c = await connect(s.url);
    await assert.rejects(connect(s.url), /503/);
    c.terminate();
    await s.close();
  });

  test('client rejects bad URLs and unreachable servers', async () => {
    await assert.rejects(connect('ftp://127.0.0.1/'), /unsupported URL scheme/);
    await assert.rejects(connect('not a url'), /invalid WebSocket URL/);
    const http = await listenHttp();
    const port = http.port;
    await http.close();
    await assert.rejects(connect(`ws://127.0.0.1:${port}/`), /ECONNREFUSED/);
  });
});
