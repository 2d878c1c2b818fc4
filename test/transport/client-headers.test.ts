// The transport client's request headers (what reaches the server, what is refused before any
// connection) and the HTTP refusal it reports: status, response headers and the body's reason.
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import { HandshakeError, HandshakeRefusedError } from '../../src/protocol/handshake-client.js';
import { connect, WebSocketServer, type UpgradeRequest, type VerifyResult } from '../../src/transport/index.js';
import { listenHttp } from '../helpers/events.js';

async function endpoint(verify: (req: UpgradeRequest) => VerifyResult) {
  const http = await listenHttp();
  const seen: UpgradeRequest[] = [];
  const wss = new WebSocketServer({
    server: http.server,
    heartbeatIntervalMs: 0,
    verify: (req) => {
      seen.push(req);
      return verify(req);
    },
  });
  return {
    url: `ws://127.0.0.1:${http.port}/ws?symbols=AAPL`,
    seen,
    async close() {
      await wss.close();
      await http.close();
    },
  };
}

/** A raw TCP server that answers every request with whatever `respond` writes. */
async function rawServer(respond: (socket: Socket) => void): Promise<{ url: string; server: Server; close(): Promise<void> }> {
  const server = createServer((socket) => {
    socket.on('error', () => {});
    socket.once('data', () => respond(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    server,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function refusalOf(promise: Promise<unknown>): Promise<HandshakeRefusedError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof HandshakeRefusedError, `expected a HandshakeRefusedError, got ${String(error)}`);
    assert.ok(error instanceof HandshakeError, 'still a HandshakeError');
    return error;
  }
  assert.fail('the connection was accepted');
}

describe('client request headers', () => {
  test('extra headers reach the server as sent', { timeout: 20_000 }, async () => {
    const server = await endpoint(() => true);
    try {
      const conn = await connect(server.url, { headers: { Authorization: 'Bearer abc.def-123', 'X-Trace-Id': 't1' } });
      conn.terminate();
      assert.equal(server.seen.length, 1);
      assert.equal(server.seen[0]!.headers.authorization, 'Bearer abc.def-123');
      assert.equal(server.seen[0]!.headers['x-trace-id'], 't1');
      assert.equal(server.seen[0]!.url, '/ws?symbols=AAPL');
    } finally {
      await server.close();
    }
  });

  test('CR, LF or NUL in a value, a bad name or a handshake header is refused before any connection', { timeout: 20_000 }, async () => {
    let connections = 0;
    const raw = await rawServer((socket) => socket.destroy());
    raw.server.on('connection', () => connections++);
    try {
      const bad: Array<Record<string, string>> = [
        { Authorization: 'Bearer a\r\nX-Injected: 1' },
        { Authorization: 'Bearer a\nb' },
        { Authorization: 'Bearer a\0b' },
        { 'Bad Name': 'x' },
        { 'X:Y': 'x' },
        { '': 'x' },
        { 'Sec-WebSocket-Key': 'x' },
        { Upgrade: 'h2c' },
      ];
      for (const headers of bad) {
        await assert.rejects(async () => connect(raw.url, { headers }), TypeError, JSON.stringify(headers));
      }
      // Proof that none of them opened a connection: the next, valid one is the server's first.
      const first = new Promise<number>((resolve) => raw.server.once('connection', () => resolve(connections)));
      const attempt = connect(raw.url, { headers: { 'X-Ok': '1' } }).catch(() => undefined);
      assert.equal(await first, 1);
      await attempt;
    } finally {
      await raw.close();
    }
  });
});

describe('client view of a refused upgrade', () => {
  test('status, Retry-After and the reason from the body', { timeout: 20_000 }, async () => {
    const server = await endpoint(() => ({ status: 503, message: 'too many connections', headers: { 'Retry-After': '7' } }));
    try {
      const refusal = await refusalOf(connect(server.url));
      assert.equal(refusal.status, 503);
      assert.equal(refusal.statusText, 'Service Unavailable');
      assert.equal(refusal.header('Retry-After'), '7');
      assert.equal(refusal.header('content-type'), 'text/plain; charset=utf-8');
      assert.equal(refusal.body, 'too many connections');
      assert.match(refusal.message, /^unexpected HTTP status 503 Service Unavailable$/);
    } finally {
      await server.close();
    }
  });

  test('a body written after the head is still read (Content-Length)', { timeout: 20_000 }, async () => {
    const raw = await rawServer((socket) => {
      socket.write('HTTP/1.1 401 Unauthorized\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\n', () => {
        socket.end('missing token');
      });
    });
    try {
      const refusal = await refusalOf(connect(raw.url));
      assert.equal(refusal.status, 401);
      assert.equal(refusal.body, 'missing token');
    } finally {
      await raw.close();
    }
  });

  test('without Content-Length the body is read until the server closes, bounded to 1 KiB', { timeout: 20_000 }, async () => {
    const raw = await rawServer((socket) => {
      socket.write('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n', () => {
        socket.end('x'.repeat(5000));
      });
    });
    try {
      const refusal = await refusalOf(connect(raw.url));
      assert.equal(refusal.status, 403);
      assert.equal(refusal.body, 'x'.repeat(1024));
    } finally {
      await raw.close();
    }
  });

  test('a refusal with no body at all settles when the server closes', { timeout: 20_000 }, async () => {
    const raw = await rawServer((socket) => socket.end('HTTP/1.1 404 Not Found\r\n\r\n'));
    try {
      const refusal = await refusalOf(connect(raw.url));
      assert.equal(refusal.status, 404);
      assert.equal(refusal.body, '');
    } finally {
      await raw.close();
    }
  });
});
