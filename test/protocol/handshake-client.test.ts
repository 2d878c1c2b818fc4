import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { computeAcceptKey } from '../../src/protocol/accept-key.js';
import { buildClientRequest, HandshakeError, verifyServerResponse } from '../../src/protocol/handshake-client.js';
import type { ClientHandshake } from '../../src/protocol/handshake-client.js';
import { acceptUpgrade, upgradeRequestFromHead } from '../../src/protocol/handshake-server.js';
import { HttpHeadParser } from '../../src/protocol/http-head.js';
import type { HttpHead } from '../../src/protocol/http-head.js';

function parse(kind: 'request' | 'response', text: string): HttpHead {
  const head = new HttpHeadParser(kind).push(Buffer.from(text, 'latin1'));
  assert.ok(head);
  return head;
}

function response(lines: string[], status = '101 Switching Protocols'): HttpHead {
  return parse('response', `HTTP/1.1 ${status}\r\n${lines.join('\r\n')}${lines.length ? '\r\n' : ''}\r\n`);
}

function goodLines(hs: ClientHandshake): string[] {
  return ['Upgrade: websocket', 'Connection: Upgrade', `Sec-WebSocket-Accept: ${computeAcceptKey(hs.key)}`];
}

function rejects(head: HttpHead, hs: ClientHandshake, message: RegExp): void {
  assert.throws(() => verifyServerResponse(head, hs), (err: unknown) => err instanceof HandshakeError && message.test(err.message));
}

describe('buildClientRequest', { timeout: 10_000 }, () => {
  test('request text for a plain ws: URL', () => {
    const hs = buildClientRequest(new URL('ws://example.com/quotes?symbols=AAPL,MSFT#frag'), { deflate: false });
    assert.equal(
      hs.request,
      'GET /quotes?symbols=AAPL,MSFT HTTP/1.1\r\n' +
        'Host: example.com\r\n' +
        'Upgrade: websocket\r\n' +
        'Connection: Upgrade\r\n' +
        `Sec-WebSocket-Key: ${hs.key}\r\n` +
        'Sec-WebSocket-Version: 13\r\n' +
        '\r\n',
    );
    assert.equal(Buffer.from(hs.key, 'base64').length, 16);
    assert.equal(hs.deflateOffered, null);
    assert.ok(!hs.request.includes('Origin'));
  });

  test('Host port only when not the default; protocols, deflate offer, Origin from headers', () => {
    assert.match(buildClientRequest(new URL('wss://example.com:443')).request, /^GET \/ HTTP\/1\.1\r\nHost: example\.com\r\n/);
    assert.match(buildClientRequest(new URL('ws://example.com:80')).request, /\r\nHost: example\.com\r\n/);
    assert.match(buildClientRequest(new URL('wss://example.com:80')).request, /\r\nHost: example\.com:80\r\n/);
    assert.match(buildClientRequest(new URL('ws://127.0.0.1:8765/')).request, /\r\nHost: 127\.0\.0\.1:8765\r\n/);
    assert.match(buildClientRequest(new URL('ws://[::1]:9000/')).request, /\r\nHost: \[::1\]:9000\r\n/);
    const hs = buildClientRequest(new URL('ws://h/'), { protocols: ['quotes.v2', 'json'], headers: { Origin: 'http://h' } });
    assert.match(hs.request, /\r\nSec-WebSocket-Protocol: quotes\.v2, json\r\n/);
    assert.match(hs.request, /\r\nSec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; client_max_window_bits\r\n/);
    assert.match(hs.request, /\r\nOrigin: http:\/\/h\r\n\r\n$/);
    assert.deepEqual(hs.deflateOffered, {});
  });

  test('refuses bad URLs, protocols and headers', () => {
    assert.throws(() => buildClientRequest(new URL('http://h/')), TypeError);
    assert.throws(() => buildClientRequest(new URL('ws://h/'), { protocols: ['a', 'a'] }), TypeError);
    assert.throws(() => buildClientRequest(new URL('ws://h/'), { protocols: ['a b'] }), TypeError);
    assert.throws(() => buildClientRequest(new URL('ws://h/'), { headers: { 'Sec-WebSocket-Key': 'x' } }), TypeError);
    assert.throws(() => buildClientRequest(new URL('ws://h/'), { headers: { 'X-A': 'a\r\nB: c' } }), TypeError);
  });
});

describe('verifyServerResponse', { timeout: 10_000 }, () => {
  test('accepts a response made by our own server', () => {
    const hs = buildClientRequest(new URL('ws://localhost:1234/ws'), { protocols: ['json', 'quotes.v2'] });
    const request = parse('request', hs.request);
    assert.equal(request.url, '/ws');
    const accepted = acceptUpgrade(upgradeRequestFromHead(request), { protocols: ['quotes.v2'] });
    assert.ok(accepted.ok);
    const result = verifyServerResponse(parse('response', accepted.response), hs);
    assert.deepEqual(result, { protocol: 'quotes.v2', extensions: accepted.extensions, deflate: accepted.deflate });
    assert.notEqual(result.deflate, null);
  });

  test('no protocol chosen and no extension is fine', () => {
    const hs = buildClientRequest(new URL('ws://h/'), { protocols: ['a'] });
    assert.deepEqual(verifyServerResponse(response(goodLines(hs)), hs), { protocol: '', extensions: '', deflate: null });
  });

  test('every failure', () => {
    const hs = buildClientRequest(new URL('ws://h/'), { protocols: ['a'] });
    const noDeflate = buildClientRequest(new URL('ws://h/'), { deflate: false });
    const [upgrade, connection, accept] = goodLines(hs);
    rejects(response(goodLines(hs), '200 OK'), hs, /unexpected HTTP status 200 OK/);
    rejects(response(goodLines(hs), '403 Forbidden'), hs, /status 403/);
    rejects(parse('request', 'GET / HTTP/1.1\r\n\r\n'), hs, /expected an HTTP response/);
    rejects(response([connection, accept]), hs, /Upgrade header/);
    rejects(response(['Upgrade: h2c', connection, accept]), hs, /Upgrade header/);
    rejects(response([upgrade, upgrade, connection, accept]), hs, /repeated upgrade/);
    rejects(response([upgrade, accept]), hs, /Connection header/);
    rejects(response([upgrade, 'Connection: close', accept]), hs, /Connection header/);
    rejects(response([upgrade, connection]), hs, /missing Sec-WebSocket-Accept/);
    rejects(response([upgrade, connection, `Sec-WebSocket-Accept: ${computeAcceptKey('dGhlIHNhbXBsZSBub25jZQ==')}`]), hs, /wrong Sec-WebSocket-Accept/);
    rejects(response([upgrade, connection, accept, accept]), hs, /repeated sec-websocket-accept/);
    rejects(response([...goodLines(hs), 'Sec-WebSocket-Protocol: b']), hs, /subprotocol "b" that was not offered/);
    rejects(response([...goodLines(hs), 'Sec-WebSocket-Protocol: a, a']), hs, /not offered/);
    rejects(response([...goodLines(hs), 'Sec-WebSocket-Extensions: x-foo']), hs, /extension x-foo that was not offered/);
    rejects(response([...goodLines(noDeflate), 'Sec-WebSocket-Extensions: permessage-deflate']), noDeflate, /not offered/);
    rejects(response([...goodLines(hs), 'Sec-WebSocket-Extensions: permessage-deflate;;']), hs, /invalid Sec-WebSocket-Extensions/);
    rejects(
      response([...goodLines(hs), 'Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover, permessage-deflate; server_no_context_takeover']),
      hs, /accepted twice/,
    );
    rejects(response([...goodLines(hs), 'Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; foo']), hs, /invalid permessage-deflate/);
    rejects(response([...goodLines(hs), 'Sec-WebSocket-Extensions: permessage-deflate']), hs, /server_no_context_takeover/);
  });
});
