import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { computeAcceptKey, generateKey, isValidKey } from '../../src/protocol/accept-key.js';
import { acceptUpgrade, formatHttpResponse, headersFromRaw, upgradeRequestFromHead } from '../../src/protocol/handshake-server.js';
import type { UpgradeRequestInfo } from '../../src/protocol/handshake-server.js';
import { HttpHeadParser } from '../../src/protocol/http-head.js';

const SAMPLE_KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const SAMPLE_ACCEPT = 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=';

function request(headers: Record<string, string | string[] | undefined> = {}, method = 'GET', httpVersion = '1.1'): UpgradeRequestInfo {
  return {
    method,
    httpVersion,
    headers: {
      host: 'server.example.com',
      upgrade: 'websocket',
      connection: 'Upgrade',
      'sec-websocket-key': SAMPLE_KEY,
      'sec-websocket-version': '13',
      ...headers,
    },
  };
}

function refusal(req: UpgradeRequestInfo): { status: number; message: string; headers: Record<string, string> } {
  const result = acceptUpgrade(req, { deflate: false });
  assert.equal(result.ok, false);
  if (result.ok) throw new Error('unreachable');
  return result;
}

describe('accept key', { timeout: 10_000 }, () => {
  test('RFC 6455 section 1.3 sample', () => {
    assert.equal(computeAcceptKey(SAMPLE_KEY), SAMPLE_ACCEPT);
  });
  test('generated keys are valid, 16 random bytes', () => {
    const a = generateKey();
    assert.equal(Buffer.from(a, 'base64').length, 16);
    assert.ok(isValidKey(a));
    assert.notEqual(a, generateKey());
  });
});

describe('acceptUpgrade', { timeout: 10_000 }, () => {
  test('the 101 response, byte for byte', () => {
    const result = acceptUpgrade(request(), { deflate: false });
    assert.deepEqual(result, {
      ok: true,
      response:
        'HTTP/1.1 101 Switching Protocols\r\n' +
        'Upgrade: websocket\r\n' +
        'Connection: Upgrade\r\n' +
        `Sec-WebSocket-Accept: ${SAMPLE_ACCEPT}\r\n` +
        '\r\n',
      protocol: '',
      extensions: '',
      deflate: null,
    });
  });

  test('with subprotocol, deflate and extra headers', () => {
    const result = acceptUpgrade(
      request({ 'sec-websocket-protocol': 'json, quotes.v2', 'sec-websocket-extensions': 'permessage-deflate; client_max_window_bits' }),
      { protocols: ['quotes.v2', 'json'], extraHeaders: { 'Set-Cookie': 'sid=1' } },
    );
    assert.ok(result.ok);
    assert.equal(
      result.response,
      'HTTP/1.1 101 Switching Protocols\r\n' +
        'Upgrade: websocket\r\n' +
        'Connection: Upgrade\r\n' +
        `Sec-WebSocket-Accept: ${SAMPLE_ACCEPT}\r\n` +
        'Sec-WebSocket-Protocol: quotes.v2\r\n' +
        'Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover\r\n' +
        'Set-Cookie: sid=1\r\n' +
        '\r\n',
    );
    assert.equal(result.protocol, 'quotes.v2');
    assert.equal(result.extensions, 'permessage-deflate; server_no_context_takeover');
    assert.deepEqual(result.deflate, {
      serverNoContextTakeover: true, clientNoContextTakeover: false, serverMaxWindowBits: 15, clientMaxWindowBits: 15,
    });
  });

  test('token lists with odd spacing and case', () => {
    for (const [upgrade, connection] of [
      ['WebSocket', 'keep-alive, Upgrade'],
      ['  websocket  ', 'UPGRADE'],
      ['h2c,\tWEBSOCKET', ' ,keep-alive ,  upgrade,'],
      [['foo', 'websocket'], ['keep-alive', 'Upgrade']],
    ] as const) {
      const result = acceptUpgrade(request({ upgrade: upgrade as string | string[], connection: connection as string | string[] }));
      assert.ok(result.ok, `${upgrade} / ${connection}`);
    }
    // A key with surrounding whitespace from a sloppy client is still the key.
    assert.ok(acceptUpgrade(request({ 'sec-websocket-key': ` ${SAMPLE_KEY} ` })).ok);
    assert.ok(acceptUpgrade(request({ 'sec-websocket-version': ' 13 ' })).ok);
    assert.ok(acceptUpgrade(request(), { deflate: false }).ok);
  });

  test('subprotocol: the server preference order wins; none in common → no header', () => {
    const pick = (offered: string | undefined, ours: string[]) => {
      const result = acceptUpgrade(request({ 'sec-websocket-protocol': offered }), { protocols: ours, deflate: false });
      assert.ok(result.ok);
      return { protocol: result.protocol, header: result.response.includes('Sec-WebSocket-Protocol') };
    };
    assert.deepEqual(pick('a, b, c', ['c', 'b']), { protocol: 'c', header: true });
    assert.deepEqual(pick('a, b', ['x', 'b', 'a']), { protocol: 'b', header: true });
    assert.deepEqual(pick('a, b', ['x']), { protocol: '', header: false });
    assert.deepEqual(pick(undefined, ['x']), { protocol: '', header: false });
    assert.deepEqual(pick('A', ['a']), { protocol: '', header: false }); // case-sensitive
  });

  test('every refusal: status, message, headers', () => {
    const cases: Array<[UpgradeRequestInfo, number, string]> = [
      [request({}, 'POST'), 400, 'WebSocket upgrade requires GET'],
      [request({}, 'GET', '1.0'), 400, 'WebSocket upgrade requires HTTP/1.1'],
      [request({}, 'GET', '2.0'), 400, 'WebSocket upgrade requires HTTP/1.1'],
      [request({}, 'GET', '1.2'), 400, 'WebSocket upgrade requires HTTP/1.1'],
      [request({ host: undefined }), 400, 'missing Host header'],
      [request({ host: ['a', 'b'] }), 400, 'duplicate Host header'],
      [request({ upgrade: undefined }), 400, 'Upgrade header must include websocket'],
      [request({ upgrade: 'websockets' }), 400, 'Upgrade header must include websocket'],
      [request({ connection: 'keep-alive' }), 400, 'Connection header must include Upgrade'],
      [request({ connection: undefined }), 400, 'Connection header must include Upgrade'],
      [request({ 'sec-websocket-key': undefined }), 400, 'missing Sec-WebSocket-Key'],
      [request({ 'sec-websocket-key': [SAMPLE_KEY, SAMPLE_KEY] }), 400, 'duplicate Sec-WebSocket-Key'],
      [request({ 'sec-websocket-key': `${SAMPLE_KEY}, ${SAMPLE_KEY}` }), 400, 'duplicate Sec-WebSocket-Key'],
      [request({ 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ=' }), 400, 'invalid Sec-WebSocket-Key'],
      [request({ 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ' }), 400, 'invalid Sec-WebSocket-Key'],
      [request({ 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZ===' }), 400, 'invalid Sec-WebSocket-Key'],
      [request({ 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25j-Q==' }), 400, 'invalid Sec-WebSocket-Key'],
      [request({ 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZSEh' }), 400, 'invalid Sec-WebSocket-Key'],
      [request({ 'sec-websocket-key': '' }), 400, 'invalid Sec-WebSocket-Key'],
      [request({ 'sec-websocket-protocol': 'a, a' }), 400, 'invalid Sec-WebSocket-Protocol'],
      [request({ 'sec-websocket-protocol': 'a b' }), 400, 'invalid Sec-WebSocket-Protocol'],
      [request({ 'sec-websocket-extensions': 'permessage-deflate;' }), 400, 'invalid Sec-WebSocket-Extensions'],
    ];
    for (const [req, status, message] of cases) {
      assert.deepEqual(refusal(req), { ok: false, status, message, headers: {} }, message);
    }
    for (const version of [undefined, '8', '12', '13, 8', ['13', '13']]) {
      assert.deepEqual(
        refusal(request({ 'sec-websocket-version': version })),
        { ok: false, status: 426, message: 'unsupported Sec-WebSocket-Version, use 13', headers: { 'Sec-WebSocket-Version': '13' } },
        String(version),
      );
    }
  });

  test('extensions we do not know, or deflate offers we decline, are ignored (no header)', () => {
    for (const ext of ['x-unknown', 'permessage-deflate; foo', 'permessage-deflate; server_max_window_bits=16']) {
      const result = acceptUpgrade(request({ 'sec-websocket-extensions': ext }));
      assert.ok(result.ok);
      assert.equal(result.extensions, '');
      assert.equal(result.deflate, null);
      assert.ok(!result.response.includes('Sec-WebSocket-Extensions'));
    }
    const disabled = acceptUpgrade(request({ 'sec-websocket-extensions': 'permessage-deflate' }), { deflate: false });
    assert.ok(disabled.ok);
    assert.equal(disabled.deflate, null);
  });

  test('extra headers cannot split the response', () => {
    assert.throws(() => acceptUpgrade(request(), { extraHeaders: { 'X-A': 'a\r\nX-B: b' } }), TypeError);
    assert.throws(() => acceptUpgrade(request(), { extraHeaders: { 'X A': 'a' } }), TypeError);
  });

  test('upgradeRequestFromHead adapts a raw-socket head', () => {
    const parser = new HttpHeadParser('request');
    const head = parser.push(Buffer.from(
      `GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${SAMPLE_KEY}\r\n` +
        `Sec-WebSocket-Key: ${SAMPLE_KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    ));
    assert.ok(head);
    const info = upgradeRequestFromHead(head);
    assert.equal(info.headers.host, 'h');
    assert.deepEqual(refusal(info).message, 'duplicate Sec-WebSocket-Key');
  });
});

describe('formatHttpResponse', { timeout: 10_000 }, () => {
  test('exact text with byte length of a UTF-8 body', () => {
    assert.equal(
      formatHttpResponse(426, 'version 13 only é', { 'Sec-WebSocket-Version': '13' }),
      'HTTP/1.1 426 Upgrade Required\r\n' +
        'Connection: close\r\n' +
        'Content-Type: text/plain; charset=utf-8\r\n' +
        'Content-Length: 18\r\n' +
        'Sec-WebSocket-Version: 13\r\n' +
        '\r\n' +
        'version 13 only é',
    );
    assert.equal(
      formatHttpResponse(400, 'missing Sec-WebSocket-Key'),
      'HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 25\r\n\r\nmissing Sec-WebSocket-Key',
    );
    assert.match(formatHttpResponse(431, ''), /^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
  });
});

describe('headersFromRaw', () => {
  test('lower-cases names and keeps every repeat, which Node\'s req.headers drops for Host', () => {
    assert.deepEqual(headersFromRaw(['Host', 'a', 'Upgrade', 'websocket', 'host', 'b', 'X-A', '1']), {
      host: ['a', 'b'],
      upgrade: 'websocket',
      'x-a': '1',
    });
    assert.deepEqual(headersFromRaw([]), {});
  });
});
