// Per-address limits, X-Forwarded-For from trusted proxies only, and the time limits: slowloris
// headers, silent TCP and TLS connections, maximum lifetime, idle timeout.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { connect as netConnect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { TickstreamServerOptions } from '../../src/app/server.js';
import { rawUpgrade, readUntilClose } from '../helpers/raw-client.js';
import { openClient, startTestServer } from '../helpers/server.js';

async function withServer(options: TickstreamServerOptions, body: (port: number) => Promise<void>): Promise<void> {
  const server = await startTestServer({ appHeartbeatMs: 0, ...options });
  try {
    await body(server.port);
  } finally {
    await server.close();
  }
}

/** Resolves with the status line and headers of a refused upgrade (rejects if it was accepted). */
async function refusal(port: number, headers: Record<string, string> = {}): Promise<{ status: number; retryAfter: string | undefined }> {
  const error = await rawUpgrade(port, '/?symbols=AAPL', headers).then(
    (client) => {
      client.socket.destroy();
      throw new Error('the upgrade was accepted');
    },
    (e: Error) => e,
  );
  const status = /HTTP\/1\.1 (\d{3})/.exec(error.message);
  assert.ok(status, error.message);
  const retryAfter = /\r\nRetry-After: (\S+)/i.exec(error.message)?.[1];
  return { status: Number(status[1]), retryAfter };
}

/** Milliseconds until the server closes a socket that does `start` and then nothing more. */
function timeUntilServerCloses(socket: Socket, start: () => void, limitMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const began = performance.now();
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`still open after ${limitMs} ms`));
    }, limitMs);
    socket.on('error', () => {});
    socket.resume();
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(performance.now() - began);
    });
    start();
  });
}

describe('per-address connection cap and handshake rate', { timeout: 20_000 }, () => {
  test('the connection after the cap gets 429 with Retry-After; a slot frees when one closes', async () => {
    await withServer({ maxConnectionsPerIp: 3 }, async (port) => {
      const clients = await Promise.all([1, 2, 3].map(() => rawUpgrade(port, '/?symbols=AAPL')));
      assert.deepEqual(await refusal(port), { status: 429, retryAfter: '5' });
      clients[0]!.socket.destroy();
      await clients[0]!.ended;
      const again = await waitForAdmission(port);
      for (const c of [...clients, again]) c.socket.destroy();
    });
  });

  test('handshakes beyond the burst are refused with 429 and a Retry-After of the refill time', async () => {
    await withServer({ handshakeRatePerSec: 1, handshakeBurst: 2 }, async (port) => {
      const a = await rawUpgrade(port, '/');
      const b = await rawUpgrade(port, '/');
      assert.deepEqual(await refusal(port), { status: 429, retryAfter: '1' });
      a.socket.destroy();
      b.socket.destroy();
    });
  });

  test('X-Forwarded-For names the client only behind a trusted proxy', async () => {
    await withServer({ maxConnectionsPerIp: 1, trustedProxies: ['127.0.0.0/8'] }, async (port) => {
      const one = await rawUpgrade(port, '/', { 'X-Forwarded-For': '203.0.113.7, 10.1.2.3' });
      const other = await rawUpgrade(port, '/', { 'X-Forwarded-For': '203.0.113.8' });
      // The same client behind the proxy: capped, whatever it wrote to the left of the proxy's entry.
      assert.equal((await refusal(port, { 'X-Forwarded-For': 'spoofed, 10.1.2.3' })).status, 429);
      one.socket.destroy();
      other.socket.destroy();
    });
    await withServer({ maxConnectionsPerIp: 1 }, async (port) => {
      const one = await rawUpgrade(port, '/', { 'X-Forwarded-For': '203.0.113.7' });
      // No trusted proxies: the header is ignored and both come from 127.0.0.1.
      assert.equal((await refusal(port, { 'X-Forwarded-For': '203.0.113.8' })).status, 429);
      one.socket.destroy();
    });
  });
});

/** Retries an upgrade until admitted (the server learns of a closed socket asynchronously). */
async function waitForAdmission(port: number, timeoutMs = 5_000): Promise<Awaited<ReturnType<typeof rawUpgrade>>> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    try {
      return await rawUpgrade(port, '/');
    } catch (error) {
      if (performance.now() > deadline) throw error;
      await new Promise((r) => setImmediate(r));
    }
  }
}

describe('time limits', { timeout: 20_000 }, () => {
  test('request headers trickled byte by byte are cut off after the handshake timeout', async () => {
    await withServer({ handshakeTimeoutMs: 1000 }, async (port) => {
      const socket = netConnect(port, '127.0.0.1');
      let sent = 0;
      const trickle = setInterval(() => {
        if (sent++ < 100 && !socket.destroyed) socket.write(`X-Slow-${sent}: 1\r\n`);
      }, 100);
      try {
        const ms = await timeUntilServerCloses(socket, () => socket.write('GET /?symbols=AAPL HTTP/1.1\r\nHost: x\r\n'), 8_000);
        assert.ok(ms >= 900 && ms < 4000, `closed after ${Math.round(ms)} ms`);
      } finally {
        clearInterval(trickle);
      }
    });
  });

  test('a TCP connection that never sends a byte is dropped after the handshake timeout', async () => {
    await withServer({ handshakeTimeoutMs: 1000 }, async (port) => {
      const socket = netConnect(port, '127.0.0.1');
      const ms = await timeUntilServerCloses(socket, () => {}, 8_000);
      assert.ok(ms >= 900 && ms < 4000, `closed after ${Math.round(ms)} ms`);
    });
  });

  test('on the TLS port, a connection that never starts the TLS handshake is dropped after the handshake timeout', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tickstream-limits-tls-'));
    try {
      execFileSync(
        'openssl',
        ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-days', '1',
          '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')],
        { stdio: 'pipe', timeout: 20_000 },
      );
      const tls = { cert: await readFile(join(dir, 'cert.pem')), key: await readFile(join(dir, 'key.pem')) };
      await withServer({ tls, handshakeTimeoutMs: 1000 }, async (port) => {
        const socket = netConnect(port, '127.0.0.1');
        const ms = await timeUntilServerCloses(socket, () => {}, 8_000);
        assert.ok(ms >= 900 && ms < 4000, `closed after ${Math.round(ms)} ms`);
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('--max-lifetime closes with 1001 and a reason that asks the client to reconnect', async () => {
    await withServer({ maxLifetimeMs: 1000 }, async (port) => {
      const client = await openClient(`ws://127.0.0.1:${port}/?symbols=AAPL`);
      const started = performance.now();
      const closed = await client.closed;
      assert.deepEqual(closed, { code: 1001, reason: 'connection lifetime reached; reconnect' });
      assert.ok(performance.now() - started < 3000);
    });
  });

  test('--idle-timeout closes a client that sends nothing (pings off) with 1001 "idle timeout"', async () => {
    await withServer({ idleTimeoutMs: 1000, pingIntervalMs: 0 }, async (port) => {
      const client = await rawUpgrade(port, '/?symbols=AAPL');
      const close = await readUntilClose(client, 5_000);
      assert.deepEqual(close && { code: close.code, reason: close.reason }, { code: 1001, reason: 'idle timeout' });
      client.socket.destroy();
    });
  });
});
