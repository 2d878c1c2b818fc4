import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from '../transport/index.js';

export interface EchoServerOptions {
  port: number;
  host: string;
  /** Largest message accepted; conformance suites send up to 16 MiB, so the default is 64 MiB. */
  maxPayload?: number;
}

export interface EchoServer {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * The standard target for WebSocket conformance suites: every text/binary message is sent back as received,
 * permessage-deflate enabled. Plain HTTP requests on the same port get a one-line explanation.
 */
export async function startEchoServer(options: EchoServerOptions): Promise<EchoServer> {
  const http = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
    res.end('tickstream echo server: connect with a WebSocket client; every message is echoed back.\n');
  });
  const maxPayload = options.maxPayload ?? 64 * 1024 * 1024;
  const wss = new WebSocketServer({
    server: http,
    maxPayload,
    // Conformance suites send multi-MiB messages in 64-byte fragments (Autobahn 9.3/9.4): allow one fragment
    // per 64 bytes of the size limit, so the size limit, not the fragment count, is what binds.
    maxFragments: Math.max(1, Math.floor(maxPayload / 64)),
    deflate: { threshold: 0 },
    heartbeatIntervalMs: 0,
  });
  wss.on('connection', (conn) => {
    conn.on('message', (data, isText) => {
      conn.send(data, { binary: !isText });
    });
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port, options.host, () => resolve());
  });
  return {
    port: (http.address() as AddressInfo).port,
    async close() {
      await wss.close();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
