/**
 * Autobahn sections 12 (permessage-deflate with different payloads) and 13 (different parameters):
 * messages are compressed by this suite's own zlib peer (auto-fragmented like Autobahn's), the
 * server inflates and echoes them compressed, and the echo is inflated here with exactly the
 * negotiated window and context rules and compared byte for byte. The handshake answer is checked
 * against RFC 7692 section 7 for the offer made.
 *
 * Autobahn sends 1000 messages per case; this suite sends a size-dependent handful (at least 3,
 * so context takeover across messages is exercised) to fit `npm test` on a small machine.
 */
import assert from 'node:assert/strict';
import type { ConformanceCase, Expected } from './case-runner.js';
import { compressionDatasets, DatasetCursor, type CompressionDataset } from './compression-data.js';
import type { NegotiatedDeflate } from './deflate-peer.js';
import type { RawClient } from './raw-client.js';
import { conformanceSuite } from './suite.js';

/** Autobahn's MSG_SIZES: [message size, auto-fragment size (0 = one frame)]. */
const MSG_SIZES: Array<[number, number]> = [
  [16, 0], [64, 0], [256, 0], [1024, 0], [4096, 0], [8192, 0], [16384, 0], [32768, 0], [65536, 0], [131072, 0],
  [8192, 256], [16384, 256], [32768, 256], [65536, 256], [131072, 256], [131072, 1024], [131072, 4096], [131072, 32768],
];
/** A shorter size list for this suite's additional parameter sets. */
const EXTRA_SIZES: Array<[number, number]> = [[16, 0], [1024, 0], [8192, 256], [65536, 0], [131072, 4096]];

const messageCount = (size: number): number => Math.max(3, Math.min(40, Math.floor((256 * 1024) / size)));

interface Offer {
  /** As in Autobahn's PerMessageDeflateOffer: accept_no_context_takeover, accept_max_window_bits (both default true). */
  clientNoContextTakeover?: boolean;
  clientMaxWindowBits?: true | number | false;
  serverNoContextTakeover?: boolean;
  serverMaxWindowBits?: number;
}

/** The Sec-WebSocket-Extensions element Autobahn's client writes for an offer. */
function offerString(o: Offer): string {
  let s = 'permessage-deflate';
  if (o.clientNoContextTakeover ?? true) s += '; client_no_context_takeover';
  const cmwb = o.clientMaxWindowBits ?? true;
  if (cmwb === true) s += '; client_max_window_bits';
  else if (cmwb !== false) s += `; client_max_window_bits=${cmwb}`;
  if (o.serverNoContextTakeover) s += '; server_no_context_takeover';
  if (o.serverMaxWindowBits !== undefined) s += `; server_max_window_bits=${o.serverMaxWindowBits}`;
  return s;
}

/** RFC 7692 7.1: does the server's answer accept this offer? (Parameters it may add or must echo.) */
function answersOffer(o: Offer, agreed: NegotiatedDeflate, answeredClientBits: boolean): boolean {
  if (o.serverNoContextTakeover && !agreed.serverNoContextTakeover) return false; // 7.1.1.1: must echo
  if (o.serverMaxWindowBits !== undefined && agreed.serverMaxWindowBits > o.serverMaxWindowBits) return false; // 7.1.2.1
  const cmwb = o.clientMaxWindowBits ?? true;
  if (answeredClientBits && cmwb === false) return false; // 7.1.2.2: only when offered
  if (typeof cmwb === 'number' && agreed.clientMaxWindowBits > cmwb) return false;
  return true;
}

function checkAgreement(c: RawClient, offers: Offer[]): void {
  const agreed = c.deflate;
  assert.ok(agreed !== null, `server declined permessage-deflate for ${offers.map(offerString).join(', ')}:\n${c.responseHead}`);
  const answeredClientBits = /client_max_window_bits/i.test(c.responseHead);
  assert.ok(
    offers.some((o) => answersOffer(o, agreed, answeredClientBits)),
    `the answer does not accept any offer (RFC 7692 7.1):\noffer: ${offers.map(offerString).join(', ')}\n${c.responseHead}`,
  );
}

function deflateCase(id: string, title: string, offers: Offer[], dataset: CompressionDataset, size: number, fragment: number): ConformanceCase {
  const count = messageCount(size);
  const cursor = new DatasetCursor(dataset);
  const messages = Array.from({ length: count }, () => cursor.next(size));
  const expect: Expected[] = messages.map((data) => ({ kind: 'message', binary: dataset.binary, data }));
  return {
    id,
    title: `${title}: ${count} x ${size} B ${dataset.key}${fragment > 0 ? `, auto-fragmented to ${fragment} B` : ''}`,
    extensions: offers.map(offerString).join(', '),
    send: async (c) => {
      checkAgreement(c, offers);
      for (let i = 0; i < messages.length; i++) {
        await c.sendCompressed(messages[i], dataset.binary, fragment);
        await c.waitForEvents(i + 1, 5000);
      }
      await c.settle();
      // echo.ts compresses every message (threshold 0): a plain echo would leave the server's
      // compressor and its window untested.
      for (const e of c.dataEvents) assert.ok(e.kind === 'message' && e.compressed, `echo was not compressed: ${c.describe()}`);
    },
    expect,
    close: { by: 'client' },
    eventTimeoutMs: 5000,
  };
}

const datasets = compressionDatasets();

const section12: ConformanceCase[] = datasets.flatMap((dataset, j) =>
  MSG_SIZES.map(([size, fragment], i) => deflateCase(`12.${j + 1}.${i + 1}`, 'default offer', [{}], dataset, size, fragment)),
);

/** Autobahn's 13.1-13.7 client offers (the server side there is the tested server's choice). */
const AUTOBAHN_OFFERS: Array<[string, Offer[]]> = [
  ['default offer', [{}]],
  ['server_no_context_takeover', [{ serverNoContextTakeover: true }]],
  ['server_max_window_bits=9', [{ serverMaxWindowBits: 9 }]],
  ['server_max_window_bits=15', [{ serverMaxWindowBits: 15 }]],
  ['server_no_context_takeover, server_max_window_bits=9', [{ serverNoContextTakeover: true, serverMaxWindowBits: 9 }]],
  ['server_no_context_takeover, server_max_window_bits=15', [{ serverNoContextTakeover: true, serverMaxWindowBits: 15 }]],
  ['three offers: (nct, 9), (nct), default', [{ serverNoContextTakeover: true, serverMaxWindowBits: 9 }, { serverNoContextTakeover: true }, {}]],
];

/** Beyond Autobahn: every server window, and offers that let the client keep its context. */
const EXTRA_OFFERS: Array<[string, Offer[]]> = [
  ['server_max_window_bits=8', [{ serverMaxWindowBits: 8 }]],
  ['server_max_window_bits=10', [{ serverMaxWindowBits: 10 }]],
  ['server_max_window_bits=11', [{ serverMaxWindowBits: 11 }]],
  ['server_max_window_bits=12', [{ serverMaxWindowBits: 12 }]],
  ['server_max_window_bits=13', [{ serverMaxWindowBits: 13 }]],
  ['server_max_window_bits=14', [{ serverMaxWindowBits: 14 }]],
  ['server_no_context_takeover, server_max_window_bits=8', [{ serverNoContextTakeover: true, serverMaxWindowBits: 8 }]],
  ['bare permessage-deflate (client keeps context)', [{ clientNoContextTakeover: false, clientMaxWindowBits: false }]],
  ['client_max_window_bits only (client keeps context)', [{ clientNoContextTakeover: false }]],
  ['client_max_window_bits=10 (client keeps a 1 KiB window)', [{ clientNoContextTakeover: false, clientMaxWindowBits: 10 }]],
  ['client_no_context_takeover only, no client_max_window_bits', [{ clientMaxWindowBits: false }]],
  [
    'client_max_window_bits=9, server_max_window_bits=9, context kept',
    [{ clientNoContextTakeover: false, clientMaxWindowBits: 9, serverMaxWindowBits: 9 }],
  ],
];

const json = datasets[0];
const section13: ConformanceCase[] = [
  ...AUTOBAHN_OFFERS.flatMap(([title, offers], j) =>
    MSG_SIZES.map(([size, fragment], i) => deflateCase(`13.${j + 1}.${i + 1}`, title, offers, json, size, fragment)),
  ),
  ...EXTRA_OFFERS.flatMap(([title, offers], j) =>
    EXTRA_SIZES.map(([size, fragment], i) => deflateCase(`13.x${j + 1}.${i + 1}`, title, offers, datasets[j % datasets.length], size, fragment)),
  ),
];

conformanceSuite('Autobahn 12.x permessage-deflate payloads', section12, { concurrency: 4 });
conformanceSuite('Autobahn 13.x permessage-deflate parameters', section13, { concurrency: 4 });
