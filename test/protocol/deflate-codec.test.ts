import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { constants, createDeflateRaw, deflateRawSync, inflateRawSync } from 'node:zlib';
import type { DeflateRaw } from 'node:zlib';
import type { Role } from '../../src/protocol/constants.js';
import { ProtocolError } from '../../src/protocol/errors.js';
import { deflateMessage, PerMessageDeflate } from '../../src/protocol/deflate-codec.js';
import { parseExtensions } from '../../src/protocol/header-values.js';
import { acceptDeflateResponse, buildDeflateOffer, negotiateServerDeflate } from '../../src/protocol/permessage-deflate.js';
import type { DeflateParams } from '../../src/protocol/permessage-deflate.js';

const TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);
const MiB = 1024 * 1024;

function quote(i: number): Buffer {
  return Buffer.from(JSON.stringify({
    type: 'quote', symbol: ['AAPL', 'MSFT', 'GOOG'][i % 3], seq: 1000 + i, bid: 189.23 + i / 100, ask: 189.25 + i / 100,
    last: 189.24, volume: 12345678 + i, ts: 1718000000123 + i,
  }));
}

/** A stream of messages where later ones repeat earlier ones, so a compressor with context refers back. */
function messages(): Buffer[] {
  const snapshot = Buffer.from(JSON.stringify(Array.from({ length: 60 }, (_, i) => JSON.parse(quote(i).toString()))));
  const big = Buffer.alloc(40 * 1024); // larger than the biggest window: exercises the window slide
  for (let i = 0; i < big.length; i++) big[i] = (i * 7 + (i >> 9)) & 0x7f;
  return [quote(1), quote(1), quote(2), snapshot, Buffer.from('x'), big, quote(1), snapshot, Buffer.alloc(0), quote(3)];
}

function expectProtocolError(fn: () => unknown, closeCode: number): void {
  assert.throws(fn, (err: unknown) => err instanceof ProtocolError && err.closeCode === closeCode);
}

/** Splits a payload into fragments at a few positions (including empty fragments). */
function fragments(payload: Buffer, seed: number): Buffer[] {
  if (payload.length < 3) return [payload, Buffer.alloc(0)];
  const a = (seed * 7) % payload.length;
  const b = Math.min(payload.length, a + 1 + (seed % 5));
  return [payload.subarray(0, a), Buffer.alloc(0), payload.subarray(a, b), payload.subarray(b)];
}

/**
 * A peer with a real persistent zlib stream, i.e. with context takeover: what browsers and other
 * libraries do when no_context_takeover is not negotiated. Compresses one message per call.
 */
class PersistentPeer {
  #stream: DeflateRaw;
  constructor(windowBits: number) {
    // zlib has no 8-bit raw window; zlib-based peers use 9 when 8 is negotiated.
    this.#stream = createDeflateRaw({ windowBits: Math.max(9, windowBits), level: 6 });
  }
  compress(data: Buffer): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      this.#stream.once('error', reject);
      this.#stream.write(data);
      this.#stream.flush(constants.Z_SYNC_FLUSH, () => {
        this.#stream.off('error', reject);
        const chunks: Buffer[] = [];
        for (let chunk = this.#stream.read() as Buffer | null; chunk !== null; chunk = this.#stream.read() as Buffer | null) chunks.push(chunk);
        const out = Buffer.concat(chunks);
        assert.deepEqual(out.subarray(out.length - 4), TAIL);
        resolve(out.subarray(0, out.length - 4));
      });
    });
  }
  close(): void {
    this.#stream.close();
  }
}

function negotiate(serverNct: boolean, clientNct: boolean, serverBits: number, clientBits: number): DeflateParams {
  const clientOptions = { serverNoContextTakeover: serverNct, clientNoContextTakeover: clientNct, serverMaxWindowBits: serverBits, clientMaxWindowBits: clientBits };
  const offer = parseExtensions(buildDeflateOffer(clientOptions))!;
  const agreed = negotiateServerDeflate(offer, { serverNoContextTakeover: false });
  assert.ok(agreed);
  const clientParams = acceptDeflateResponse(parseExtensions(agreed.header)![0], clientOptions);
  assert.deepEqual(clientParams, agreed.params);
  assert.deepEqual(agreed.params, {
    serverNoContextTakeover: serverNct, clientNoContextTakeover: clientNct, serverMaxWindowBits: serverBits, clientMaxWindowBits: clientBits,
  });
  return agreed.params;
}

describe('PerMessageDeflate round trips', { timeout: 60_000 }, () => {
  const WINDOWS = [8, 9, 12, 15];
  for (const serverNct of [false, true]) {
    for (const clientNct of [false, true]) {
      test(`server_no_context_takeover=${serverNct} client_no_context_takeover=${clientNct}, windows 8/9/12/15 each way`, async () => {
        for (const serverBits of WINDOWS) {
          for (const clientBits of WINDOWS) {
            const label = `s${serverBits} c${clientBits}`;
            const params = negotiate(serverNct, clientNct, serverBits, clientBits);
            const server = new PerMessageDeflate('server', params);
            const client = new PerMessageDeflate('client', params);
            // Third-party peers that keep context whenever the agreement lets them.
            const clientPeer = new PersistentPeer(clientBits);
            const serverPeer = new PersistentPeer(serverBits);
            const fromClientPeer = new PerMessageDeflate('server', params);
            const fromServerPeer = new PerMessageDeflate('client', params);
            try {
              const all = messages();
              for (let i = 0; i < all.length; i++) {
                const message = all[i];
                assert.deepEqual(client.inflate(fragments(server.deflate(message), i), MiB), message, `${label} server→client #${i}`);
                assert.deepEqual(server.inflate(fragments(client.deflate(message), i), MiB), message, `${label} client→server #${i}`);
                // Peers with context takeover are only allowed where no_context_takeover was not agreed.
                const clientPeerUsesContext = !clientNct;
                const serverPeerUsesContext = !serverNct;
                const fromClient = clientPeerUsesContext ? await clientPeer.compress(message) : deflateRawOnce(message, clientBits);
                const fromServer = serverPeerUsesContext ? await serverPeer.compress(message) : deflateRawOnce(message, serverBits);
                assert.deepEqual(fromClientPeer.inflate(fragments(fromClient, i), MiB), message, `${label} zlib client→server #${i}`);
                assert.deepEqual(fromServerPeer.inflate(fragments(fromServer, i), MiB), message, `${label} zlib server→client #${i}`);
                if (i === 1 && clientPeerUsesContext) {
                  // Message 1 repeats message 0: the peer encoded it as a reference into the previous
                  // message, which only the dictionary can resolve. Proves takeover is exercised.
                  expectProtocolError(() => new PerMessageDeflate('server', params).inflate([fromClient], MiB), 1007);
                }
                if (i === 1 && serverPeerUsesContext) {
                  expectProtocolError(() => new PerMessageDeflate('client', params).inflate([fromServer], MiB), 1007);
                }
              }
            } finally {
              clientPeer.close();
              serverPeer.close();
            }
          }
        }
      });
    }
  }
});

/** What a peer without context takeover sends: each message compressed on its own. */
function deflateRawOnce(message: Buffer, windowBits: number): Buffer {
  const out = deflateRawSync(message, { windowBits: Math.max(9, windowBits), finishFlush: constants.Z_SYNC_FLUSH });
  return out.subarray(0, out.length - 4);
}

describe('deflateMessage', { timeout: 10_000 }, () => {
  test('stateless and shareable: same bytes every time, decodable by plain zlib', () => {
    const message = messages()[3];
    const a = deflateMessage(message, 15, 1);
    assert.deepEqual(deflateMessage(message, 15, 1), a);
    assert.deepEqual(new PerMessageDeflate('server', { serverNoContextTakeover: true, clientNoContextTakeover: false, serverMaxWindowBits: 15, clientMaxWindowBits: 15 }).deflate(message), a);
    assert.ok(a.length < message.length / 3);
    assert.notDeepEqual(a.subarray(a.length - 4), TAIL);
    assert.deepEqual(inflateRawSync(Buffer.concat([a, TAIL]), { finishFlush: constants.Z_SYNC_FLUSH }), message);
    assert.deepEqual(inflateRawSync(Buffer.concat([deflateMessage(Buffer.alloc(0), 15, 1), TAIL]), { finishFlush: constants.Z_SYNC_FLUSH }), Buffer.alloc(0));
  });

  test('window 8: no back-reference beyond 256 bytes (checked by a real 256-byte-window inflater)', () => {
    // A message whose repeats sit ~300 bytes apart, so a 10-bit compressor references that far.
    // (zlib's 9-bit window never reaches past 250 bytes, so the control uses 10.)
    const block = Buffer.from('{"symbol":"AAPL","bid":189.23,"ask":189.25}');
    const filler = Buffer.alloc(260);
    for (let i = 0; i < filler.length; i++) filler[i] = 0x41 + ((i * 31) % 26);
    const message = Buffer.concat([block, filler, block, filler, block]);
    // chunkSize 64 makes zlib decode through its 256-byte window instead of the output buffer.
    const tinyWindow = (payload: Buffer) =>
      inflateRawSync(Buffer.concat([payload, TAIL]), { windowBits: 8, chunkSize: 64, finishFlush: constants.Z_SYNC_FLUSH });
    assert.throws(() => tinyWindow(deflateMessage(message, 10, 9)), /invalid distance too far back/); // the check can fail
    for (const level of [1, 6, 9]) {
      const compressed = deflateMessage(message, 8, level);
      assert.deepEqual(tinyWindow(compressed), message);
      assert.ok(compressed.length < message.length, 'Huffman coding still compresses');
    }
  });
});

describe('PerMessageDeflate limits and errors', { timeout: 30_000 }, () => {
  const withContext: DeflateParams = { serverNoContextTakeover: false, clientNoContextTakeover: false, serverMaxWindowBits: 15, clientMaxWindowBits: 15 };

  test('zip bomb: 100 MB of zeros against maxSize 1 MiB → 1009, fast, bounded memory', () => {
    // Sync-flushed blocks end byte-aligned and reference nothing before them, so 100 copies of
    // "1 MiB of zeros" (the last one without its 00 00 ff ff tail) form a valid 100 MiB stream.
    const oneMiB = deflateRawSync(Buffer.alloc(MiB), { finishFlush: constants.Z_SYNC_FLUSH });
    const lastMiB = oneMiB.subarray(0, oneMiB.length - 4);
    const twoCopies = new PerMessageDeflate('server', withContext).inflate([oneMiB, lastMiB], 3 * MiB);
    assert.equal(twoCopies.length, 2 * MiB);
    assert.ok(twoCopies.every((b) => b === 0));
    const bomb = [...Array.from({ length: 99 }, () => oneMiB), lastMiB];
    assert.ok(Buffer.concat(bomb).length < 200 * 1024);

    const inflater = new PerMessageDeflate('server', withContext);
    inflater.inflate([deflateRawOnce(Buffer.from('warm up'), 15)], MiB);
    const rssBefore = process.memoryUsage().rss;
    const start = process.hrtime.bigint();
    expectProtocolError(() => inflater.inflate(bomb, MiB), 1009);
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    const growth = process.memoryUsage().rss - rssBefore;
    assert.ok(ms < 1000, `took ${ms} ms`);
    assert.ok(growth < 50 * MiB, `rss grew by ${growth} bytes`);
  });

  test('maxSize is inclusive', () => {
    const message = Buffer.alloc(1000, 0x61);
    const payload = deflateRawOnce(message, 15);
    assert.equal(new PerMessageDeflate('server', withContext).inflate([payload], 1000).length, 1000);
    expectProtocolError(() => new PerMessageDeflate('server', withContext).inflate([payload], 999), 1009);
    expectProtocolError(() => new PerMessageDeflate('server', withContext).inflate([payload], 0), 1009);
    assert.equal(new PerMessageDeflate('server', withContext).inflate([], 0).length, 0);
  });

  test('corrupt data → 1007', () => {
    const inflater = new PerMessageDeflate('server', withContext);
    expectProtocolError(() => inflater.inflate([Buffer.from([0xff, 0xff, 0xff])], MiB), 1007);
    expectProtocolError(() => inflater.inflate([Buffer.from([0x07])], MiB), 1007); // reserved block type 3
    // A reference before the start of the stream (no dictionary yet).
    const reference = deflateRawSync(Buffer.from('abcabcabcabc'), { dictionary: Buffer.from('abc'), finishFlush: constants.Z_SYNC_FLUSH });
    expectProtocolError(() => new PerMessageDeflate('server', withContext).inflate([reference.subarray(0, -4)], MiB), 1007);
  });

  test('a message ending the DEFLATE stream (BFINAL) is accepted', () => {
    const final = deflateRawSync(Buffer.from('closing the stream'));
    assert.equal(new PerMessageDeflate('client', withContext).inflate([final], MiB).toString(), 'closing the stream');
  });

  test('threshold', () => {
    const params = withContext;
    const byDefault = new PerMessageDeflate('server', params);
    assert.equal(byDefault.shouldCompress(63), false);
    assert.equal(byDefault.shouldCompress(64), true);
    const always = new PerMessageDeflate('server', params, { threshold: 0 });
    assert.equal(always.shouldCompress(0), true);
    const large = new PerMessageDeflate('server', params, { threshold: 1024 });
    assert.equal(large.shouldCompress(1023), false);
    assert.equal(large.shouldCompress(1024), true);
  });

  test('level is honoured and validated', () => {
    const message = messages()[3];
    const roles: Role[] = ['server', 'client'];
    for (const role of roles) {
      const stored = new PerMessageDeflate(role, withContext, { level: 0 }).deflate(message);
      assert.ok(stored.length > message.length, 'level 0 stores');
      assert.deepEqual(new PerMessageDeflate(role === 'server' ? 'client' : 'server', withContext).inflate([stored], MiB), message);
    }
    assert.throws(() => new PerMessageDeflate('server', withContext, { level: 10 }), RangeError);
  });
});
