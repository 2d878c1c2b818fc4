import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { HttpHeadError, HttpHeadParser } from '../../src/protocol/http-head.js';
import type { HttpHead } from '../../src/protocol/http-head.js';

const RESPONSE =
  'HTTP/1.1 101 Switching Protocols\r\n' +
  'Upgrade: websocket\r\n' +
  'Connection:Upgrade\r\n' +
  'Sec-WebSocket-Accept:  s3pPLMBiTxaQ9kYGzzhZRbK+xOo= \t\r\n' +
  'X-Dup: a\r\n' +
  'x-dup: b\r\n' +
  '\r\n';
const FRAMES = Buffer.from([0x81, 0x05, 0x68, 0x65, 0x6c, 0x6c, 0x6f]); // text "hello"

function expectError(fn: () => unknown, status: number): void {
  assert.throws(fn, (err: unknown) => err instanceof HttpHeadError && err.status === status);
}

function checkResponse(head: HttpHead | null): void {
  assert.ok(head);
  assert.equal(head.kind, 'response');
  assert.equal(head.status, 101);
  assert.equal(head.statusText, 'Switching Protocols');
  assert.equal(head.httpVersion, '1.1');
  assert.deepEqual(head.headers.get('sec-websocket-accept'), ['s3pPLMBiTxaQ9kYGzzhZRbK+xOo=']);
  assert.deepEqual(head.headers.get('connection'), ['Upgrade']);
  assert.deepEqual(head.headers.get('x-dup'), ['a', 'b']);
}

describe('HttpHeadParser', { timeout: 10_000 }, () => {
  test('a response and the frame bytes that follow it in the same chunk', () => {
    const parser = new HttpHeadParser('response');
    checkResponse(parser.push(Buffer.concat([Buffer.from(RESPONSE, 'latin1'), FRAMES])));
    assert.deepEqual(parser.rest, FRAMES);
    assert.throws(() => parser.push(Buffer.from('x')));
  });

  test('split at every byte position, and fed one byte at a time', () => {
    const bytes = Buffer.concat([Buffer.from(RESPONSE, 'latin1'), FRAMES]);
    const headLength = RESPONSE.length;
    for (let split = 0; split <= bytes.length; split++) {
      const parser = new HttpHeadParser('response');
      let head = parser.push(bytes.subarray(0, split));
      assert.equal(head === null, split < headLength, `split ${split}`);
      if (head === null) head = parser.push(bytes.subarray(split));
      checkResponse(head);
      // Once the head is complete the caller stops pushing: rest is what came with the final chunk.
      const restEnd = split >= headLength ? split : bytes.length;
      assert.deepEqual(parser.rest, bytes.subarray(headLength, restEnd), `split ${split}`);
    }
    const parser = new HttpHeadParser('response');
    let head: HttpHead | null = null;
    for (let i = 0; i < bytes.length && head === null; i++) head = parser.push(bytes.subarray(i, i + 1));
    checkResponse(head);
    assert.equal(parser.rest.length, 0);
  });

  test('a request', () => {
    const parser = new HttpHeadParser('request');
    const head = parser.push(Buffer.from('\r\nGET /quotes?symbols=AAPL HTTP/1.1\r\nHost: example.com\r\nEmpty:\r\n\r\n'));
    assert.ok(head);
    assert.equal(head.method, 'GET');
    assert.equal(head.url, '/quotes?symbols=AAPL');
    assert.equal(head.httpVersion, '1.1');
    assert.deepEqual(head.headers.get('empty'), ['']);
    assert.equal(parser.rest.length, 0);
  });

  test('byte limit → 431, as soon as it is passed, across chunks', () => {
    const head = 'GET / HTTP/1.1\r\nHost: a\r\n\r\n';
    assert.ok(new HttpHeadParser('request', { maxHeaderBytes: head.length }).push(Buffer.from(head)));
    expectError(() => new HttpHeadParser('request', { maxHeaderBytes: head.length - 1 }).push(Buffer.from(head)), 431);
    const parser = new HttpHeadParser('request', { maxHeaderBytes: 100 });
    assert.equal(parser.push(Buffer.alloc(60, 0x61)), null);
    assert.equal(parser.push(Buffer.alloc(40, 0x61)), null);
    expectError(() => parser.push(Buffer.from('a')), 431);
    // The default limit comes from Defaults.maxHeaderBytes (8 KiB).
    expectError(() => new HttpHeadParser('request').push(Buffer.alloc(8 * 1024 + 1, 0x61)), 431);
  });

  test('header count limit → 431', () => {
    const lines = (n: number) => 'GET / HTTP/1.1\r\n' + 'A: b\r\n'.repeat(n) + '\r\n';
    assert.ok(new HttpHeadParser('request', { maxHeaderCount: 5 }).push(Buffer.from(lines(5))));
    expectError(() => new HttpHeadParser('request', { maxHeaderCount: 5 }).push(Buffer.from(lines(6))), 431);
    expectError(() => new HttpHeadParser('request').push(Buffer.from(lines(101))), 431);
  });

  test('malformed heads → 400', () => {
    const bad = [
      'GET /\r\n\r\n',
      'GET / HTTP/1.1 x\r\n\r\n',
      'GET  / HTTP/1.1\r\n\r\n',
      'G(T / HTTP/1.1\r\n\r\n',
      'GET / HTTP/11\r\n\r\n',
      'GET / HTTP/1.1\r\nNo colon\r\n\r\n',
      'GET / HTTP/1.1\r\nBad name: x\r\n\r\n',
      'GET / HTTP/1.1\r\n: x\r\n\r\n',
      'GET / HTTP/1.1\r\nA: b\r\n folded\r\n\r\n',
      'GET / HTTP/1.1\r\nA: b\nB: c\r\n\r\n',
      'GET / HTTP/1.1\r\nA: b\rB: c\r\n\r\n',
      'GET / HTTP/1.1\r\nA: b\x00\r\n\r\n',
      '\r\n\r\n',
    ];
    for (const text of bad) expectError(() => new HttpHeadParser('request').push(Buffer.from(text, 'latin1')), 400);
    for (const text of ['HTTP/1.1 10 OK\r\n\r\n', 'HTTP/1.1 1011 OK\r\n\r\n', 'HTTP/1.1 abc OK\r\n\r\n', 'HTTP/1.1\r\n\r\n', 'HTTP/1.1 101x\r\n\r\n']) {
      expectError(() => new HttpHeadParser('response').push(Buffer.from(text)), 400);
    }
    const bare = new HttpHeadParser('response').push(Buffer.from('HTTP/1.1 101\r\n\r\n'));
    assert.equal(bare?.status, 101);
    assert.equal(bare?.statusText, '');
  });

  test('100 KB header value of commas, spaces and quotes parses in linear time', () => {
    const value = ', " ;='.repeat(20 * 1024);
    const text = `GET / HTTP/1.1\r\nSec-WebSocket-Extensions: a${value}b\r\n\r\n`;
    let best = Infinity;
    for (let run = 0; run < 3; run++) {
      const parser = new HttpHeadParser('request', { maxHeaderBytes: 1024 * 1024 });
      const start = process.hrtime.bigint();
      const head = parser.push(Buffer.from(text));
      best = Math.min(best, Number(process.hrtime.bigint() - start) / 1e6);
      assert.equal(head?.headers.get('sec-websocket-extensions')?.[0].length, value.length + 2);
    }
    assert.ok(best < 50, `took ${best} ms`);
  });
});
