import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isValidCloseCode, parseClosePayload } from '../../src/protocol/close.js';
import { encodeClosePayload } from '../../src/protocol/frame-encoder.js';
import { ProtocolError } from '../../src/protocol/errors.js';

test('isValidCloseCode: exactly 1000-1003, 1007-1014, 3000-4999', () => {
  const valid: number[] = [];
  for (let code = 0; code <= 65535; code++) if (isValidCloseCode(code)) valid.push(code);
  const expected: number[] = [];
  for (let code = 1000; code <= 1003; code++) expected.push(code);
  for (let code = 1007; code <= 1014; code++) expected.push(code);
  for (let code = 3000; code <= 4999; code++) expected.push(code);
  assert.deepEqual(valid, expected);
});

test('parseClosePayload: empty payload is 1005 with an empty reason', () => {
  assert.deepEqual(parseClosePayload(Buffer.alloc(0)), { code: 1005, reason: '' });
});

test('parseClosePayload: code only, code + UTF-8 reason', () => {
  assert.deepEqual(parseClosePayload(Buffer.from('03e8', 'hex')), { code: 1000, reason: '' });
  assert.deepEqual(parseClosePayload(encodeClosePayload(4001, 'shutting down ✓')), {
    code: 4001,
    reason: 'shutting down ✓',
  });
});

test('parseClosePayload: 1-byte payload and unsendable codes are 1002', () => {
  for (const payload of ['03', '0000', '03e7', '03ec', '03ed', '03ee', '03f7', '0bb7', '1388', 'ffff']) {
    const result = parseClosePayload(Buffer.from(payload, 'hex'));
    assert.ok(result instanceof ProtocolError, payload);
    assert.equal(result.closeCode, 1002, payload);
  }
});

test('parseClosePayload: invalid UTF-8 reasons are 1007', () => {
  for (const reason of ['ff', 'c0af', 'eda080', 'f4908080', 'e282']) {
    const result = parseClosePayload(Buffer.from('03e8' + reason, 'hex'));
    assert.ok(result instanceof ProtocolError, reason);
    assert.equal(result.closeCode, 1007, reason);
  }
});
