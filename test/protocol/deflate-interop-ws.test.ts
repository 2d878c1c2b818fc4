/**
 * Interop with an independent implementation: the permessage-deflate of the `ws` package (its
 * negotiation and its persistent zlib streams with context takeover), without sockets.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { PerMessageDeflate } from '../../src/protocol/deflate-codec.js';
import { acceptUpgrade } from '../../src/protocol/handshake-server.js';
import { parseExtensions } from '../../src/protocol/header-values.js';
import { acceptDeflateResponse, buildDeflateOffer } from '../../src/protocol/permessage-deflate.js';

type Params = Record<string, unknown>;
interface WsDeflate {
  offer(): Params;
  accept(configurations: Params[]): Params;
  compress(data: Buffer, fin: boolean, callback: (err: Error | null, result?: Buffer) => void): void;
  decompress(data: Buffer, fin: boolean, callback: (err: Error | null, result?: Buffer) => void): void;
  cleanup(): void;
}
const require = createRequire(import.meta.url);
// ws does not export its internals; load them by file path (its package "exports" map hides them).
const wsLib = join(dirname(require.resolve('ws')), 'lib');
const WsPerMessageDeflate = require(join(wsLib, 'permessage-deflate.js')) as new (options: Params) => WsDeflate;
const wsExtension = require(join(wsLib, 'extension.js')) as {
  parse(header: string): Record<string, Params[]>;
  format(extensions: Record<string, Params>): string;
};

const MiB = 1024 * 1024;

function run(fn: (cb: (err: Error | null, result?: Buffer) => void) => void): Promise<Buffer> {
  return new Promise((resolve, reject) => fn((err, result) => (err ? reject(err) : resolve(result as Buffer))));
}

function messages(): Buffer[] {
  const quote = (i: number) => Buffer.from(JSON.stringify({ type: 'quote', symbol: 'AAPL', seq: i, bid: 189.2 + i / 100, ask: 189.25 }));
  const snapshot = Buffer.from(JSON.stringify(Array.from({ length: 80 }, (_, i) => JSON.parse(quote(i).toString()))));
  return [quote(1), quote(1), snapshot, quote(2), snapshot, Buffer.from('tiny'), quote(3)];
}

describe('permessage-deflate interop with ws', { timeout: 20_000 }, () => {
  test('ws client (context takeover) ↔ our server', async () => {
    for (const clientMaxWindowBits of [true, 10] as const) {
      const wsClient = new WsPerMessageDeflate({ isServer: false, maxPayload: MiB, threshold: 0, clientMaxWindowBits });
      const offer = wsExtension.format({ 'permessage-deflate': wsClient.offer() });
      const accepted = acceptUpgrade({
        method: 'GET', httpVersion: '1.1',
        headers: {
          host: 'h', upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-version': '13',
          'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', 'sec-websocket-extensions': offer,
        },
      });
      assert.ok(accepted.ok && accepted.deflate, offer);
      assert.equal(accepted.deflate.clientNoContextTakeover, false, 'ws keeps context: the dictionary path is used');
      wsClient.accept(wsExtension.parse(accepted.extensions)['permessage-deflate']);
      const server = new PerMessageDeflate('server', accepted.deflate);
      try {
        for (const message of messages()) {
          const fromWs = await run((cb) => wsClient.compress(message, true, cb));
          assert.deepEqual(server.inflate([fromWs], MiB), message);
          const toWs = await run((cb) => wsClient.decompress(server.deflate(message), true, cb));
          assert.deepEqual(toWs, message);
        }
      } finally {
        wsClient.cleanup();
      }
    }
  });

  test('our client ↔ ws server (context takeover, small windows)', async () => {
    const options = { serverNoContextTakeover: false, serverMaxWindowBits: 11, clientMaxWindowBits: 12 };
    const wsServer = new WsPerMessageDeflate({ isServer: true, maxPayload: MiB, threshold: 0 });
    const params = wsServer.accept(wsExtension.parse(buildDeflateOffer(options))['permessage-deflate']);
    const response = wsExtension.format({ 'permessage-deflate': params });
    const agreed = acceptDeflateResponse(parseExtensions(response)![0], options);
    assert.deepEqual(agreed, { serverNoContextTakeover: false, clientNoContextTakeover: false, serverMaxWindowBits: 11, clientMaxWindowBits: 12 });
    const client = new PerMessageDeflate('client', agreed);
    try {
      for (const message of messages()) {
        const fromWs = await run((cb) => wsServer.compress(message, true, cb));
        assert.deepEqual(client.inflate([fromWs], MiB), message);
        assert.deepEqual(await run((cb) => wsServer.decompress(client.deflate(message), true, cb)), message);
      }
    } finally {
      wsServer.cleanup();
    }
  });
});
