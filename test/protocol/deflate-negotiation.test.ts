import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseExtensions } from '../../src/protocol/header-values.js';
import { HandshakeError } from '../../src/protocol/http-head.js';
import { acceptDeflateResponse, buildDeflateOffer, negotiateServerDeflate } from '../../src/protocol/permessage-deflate.js';
import type { DeflateOptions } from '../../src/protocol/permessage-deflate.js';

function offers(header: string) {
  const parsed = parseExtensions(header);
  assert.ok(parsed, header);
  return parsed;
}

/** [client offer header, server options, expected response header or null, expected params (s-nct, c-nct, s-bits, c-bits)] */
type Row = [string, DeflateOptions, string | null, [boolean, boolean, number, number]?];

const TABLE: Row[] = [
  // Defaults: server_no_context_takeover is announced even when not offered (RFC 7692 7.1.1.1).
  ['permessage-deflate', {}, 'permessage-deflate; server_no_context_takeover', [true, false, 15, 15]],
  ['permessage-deflate', { serverNoContextTakeover: false }, 'permessage-deflate', [false, false, 15, 15]],
  ['permessage-deflate; server_no_context_takeover', { serverNoContextTakeover: false }, 'permessage-deflate; server_no_context_takeover', [true, false, 15, 15]],
  // client_no_context_takeover: echoed when offered, or required by the server.
  ['permessage-deflate; client_no_context_takeover', {}, 'permessage-deflate; server_no_context_takeover; client_no_context_takeover', [true, true, 15, 15]],
  ['permessage-deflate', { clientNoContextTakeover: true }, 'permessage-deflate; server_no_context_takeover; client_no_context_takeover', [true, true, 15, 15]],
  // server_max_window_bits: same or smaller value back; or the server announces its own cap.
  ['permessage-deflate; server_max_window_bits=10', {}, 'permessage-deflate; server_no_context_takeover; server_max_window_bits=10', [true, false, 10, 15]],
  ['permessage-deflate; server_max_window_bits=10', { serverMaxWindowBits: 9 }, 'permessage-deflate; server_no_context_takeover; server_max_window_bits=9', [true, false, 9, 15]],
  ['permessage-deflate; server_max_window_bits=10', { serverMaxWindowBits: 12 }, 'permessage-deflate; server_no_context_takeover; server_max_window_bits=10', [true, false, 10, 15]],
  ['permessage-deflate', { serverMaxWindowBits: 11 }, 'permessage-deflate; server_no_context_takeover; server_max_window_bits=11', [true, false, 11, 15]],
  ['permessage-deflate; server_max_window_bits="12"', {}, 'permessage-deflate; server_no_context_takeover; server_max_window_bits=12', [true, false, 12, 15]],
  // client_max_window_bits: only answered when offered.
  ['permessage-deflate; client_max_window_bits', {}, 'permessage-deflate; server_no_context_takeover', [true, false, 15, 15]],
  ['permessage-deflate; client_max_window_bits', { clientMaxWindowBits: 10 }, 'permessage-deflate; server_no_context_takeover; client_max_window_bits=10', [true, false, 15, 10]],
  ['permessage-deflate; client_max_window_bits=12', {}, 'permessage-deflate; server_no_context_takeover; client_max_window_bits=12', [true, false, 15, 12]],
  ['permessage-deflate; client_max_window_bits=12', { clientMaxWindowBits: 9 }, 'permessage-deflate; server_no_context_takeover; client_max_window_bits=9', [true, false, 15, 9]],
  ['permessage-deflate; client_max_window_bits=9', { clientMaxWindowBits: 12 }, 'permessage-deflate; server_no_context_takeover; client_max_window_bits=9', [true, false, 15, 9]],
  ['permessage-deflate', { clientMaxWindowBits: 15 }, 'permessage-deflate; server_no_context_takeover', [true, false, 15, 15]],
  // A server that must cap the client's window cannot accept an offer that does not allow it.
  ['permessage-deflate', { clientMaxWindowBits: 10 }, null],
  // Everything at once (the order of parameters in the offer does not matter).
  ['permessage-deflate; client_max_window_bits=8; server_max_window_bits=8; client_no_context_takeover; server_no_context_takeover', {},
    'permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=8; client_max_window_bits=8', [true, true, 8, 8]],
  // Invalid offers are declined.
  ['permessage-deflate; server_max_window_bits', {}, null],
  ['permessage-deflate; server_max_window_bits=7', {}, null],
  ['permessage-deflate; server_max_window_bits=16', {}, null],
  ['permessage-deflate; server_max_window_bits=010', {}, null],
  ['permessage-deflate; server_max_window_bits=+9', {}, null],
  ['permessage-deflate; client_max_window_bits=0', {}, null],
  ['permessage-deflate; server_no_context_takeover=1', {}, null],
  ['permessage-deflate; client_no_context_takeover=true', {}, null],
  ['permessage-deflate; server_no_context_takeover; server_no_context_takeover', {}, null],
  ['permessage-deflate; client_max_window_bits; client_max_window_bits=10', {}, null],
  ['permessage-deflate; mystery', {}, null],
  ['x-webkit-deflate-frame', {}, null],
  // Fallback: the first acceptable offer wins.
  ['permessage-deflate; server_max_window_bits=20, permessage-deflate; client_max_window_bits', { clientMaxWindowBits: 11 },
    'permessage-deflate; server_no_context_takeover; client_max_window_bits=11', [true, false, 15, 11]],
  ['x-foo, permessage-deflate; client_max_window_bits=10, permessage-deflate', {},
    'permessage-deflate; server_no_context_takeover; client_max_window_bits=10', [true, false, 15, 10]],
  ['permessage-deflate, permessage-deflate; client_max_window_bits', { clientMaxWindowBits: 10 },
    'permessage-deflate; server_no_context_takeover; client_max_window_bits=10', [true, false, 15, 10]],
];

describe('negotiateServerDeflate', { timeout: 10_000 }, () => {
  test('negotiation table', () => {
    for (const [offer, options, header, params] of TABLE) {
      const result = negotiateServerDeflate(offers(offer), options);
      const label = `${offer} / ${JSON.stringify(options)}`;
      if (header === null) {
        assert.equal(result, null, label);
        continue;
      }
      assert.ok(result, label);
      assert.equal(result.header, header, label);
      const [serverNoContextTakeover, clientNoContextTakeover, serverMaxWindowBits, clientMaxWindowBits] = params!;
      assert.deepEqual(result.params, { serverNoContextTakeover, clientNoContextTakeover, serverMaxWindowBits, clientMaxWindowBits }, label);
    }
  });

  test('every window size 8-15 in both directions', () => {
    for (let bits = 8; bits <= 15; bits++) {
      const result = negotiateServerDeflate(offers(`permessage-deflate; server_max_window_bits=${bits}; client_max_window_bits=${bits}`), {});
      assert.equal(result?.params.serverMaxWindowBits, bits);
      assert.equal(result?.params.clientMaxWindowBits, bits);
      assert.equal(result?.header, `permessage-deflate; server_no_context_takeover; server_max_window_bits=${bits}; client_max_window_bits=${bits}`);
    }
  });

  test('invalid server options are programming errors', () => {
    assert.throws(() => negotiateServerDeflate([], { serverMaxWindowBits: 16 }), RangeError);
    assert.throws(() => negotiateServerDeflate([], { clientMaxWindowBits: 7.5 }), RangeError);
  });
});

describe('client side', { timeout: 10_000 }, () => {
  test('buildDeflateOffer', () => {
    assert.equal(buildDeflateOffer({}), 'permessage-deflate; server_no_context_takeover; client_max_window_bits');
    assert.equal(buildDeflateOffer({ serverNoContextTakeover: false }), 'permessage-deflate; client_max_window_bits');
    assert.equal(
      buildDeflateOffer({ clientNoContextTakeover: true, serverMaxWindowBits: 10, clientMaxWindowBits: 9 }),
      'permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=9',
    );
    assert.throws(() => buildDeflateOffer({ serverMaxWindowBits: 7 }), RangeError);
  });

  test('acceptDeflateResponse: valid answers', () => {
    const accept = (header: string, options: DeflateOptions) => acceptDeflateResponse(offers(header)[0], options);
    assert.deepEqual(accept('permessage-deflate; server_no_context_takeover', {}), {
      serverNoContextTakeover: true, clientNoContextTakeover: false, serverMaxWindowBits: 15, clientMaxWindowBits: 15,
    });
    // The server may lower our window, and may announce server_no_context_takeover unasked.
    assert.deepEqual(accept('permessage-deflate; server_no_context_takeover; client_max_window_bits=9; client_no_context_takeover', { serverNoContextTakeover: false }), {
      serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 15, clientMaxWindowBits: 9,
    });
    assert.deepEqual(accept('permessage-deflate', { serverNoContextTakeover: false, clientMaxWindowBits: 10 }), {
      serverNoContextTakeover: false, clientNoContextTakeover: false, serverMaxWindowBits: 15, clientMaxWindowBits: 10,
    });
    assert.deepEqual(accept('permessage-deflate; server_no_context_takeover; server_max_window_bits=9', { serverMaxWindowBits: 10 }).serverMaxWindowBits, 9);
    assert.deepEqual(accept('permessage-deflate; server_max_window_bits=12', { serverNoContextTakeover: false }).serverMaxWindowBits, 12);
  });

  test('acceptDeflateResponse: answers the client did not allow', () => {
    const bad: Array<[string, DeflateOptions]> = [
      ['permessage-deflate', {}], // we asked for server_no_context_takeover
      ['permessage-deflate; server_no_context_takeover', { serverMaxWindowBits: 10 }], // not acknowledged
      ['permessage-deflate; server_no_context_takeover; server_max_window_bits=11', { serverMaxWindowBits: 10 }],
      ['permessage-deflate; server_no_context_takeover; client_max_window_bits=12', { clientMaxWindowBits: 10 }],
      ['permessage-deflate; server_no_context_takeover; client_max_window_bits', {}],
      ['permessage-deflate; server_no_context_takeover; server_max_window_bits', {}],
      ['permessage-deflate; server_no_context_takeover; server_max_window_bits=16', {}],
      ['permessage-deflate; server_no_context_takeover; unknown', {}],
      ['permessage-deflate; server_no_context_takeover; server_no_context_takeover', {}],
      ['x-other', {}],
    ];
    for (const [header, options] of bad) {
      assert.throws(() => acceptDeflateResponse(offers(header)[0], options), HandshakeError, header);
    }
  });
});
