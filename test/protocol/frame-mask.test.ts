import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyMask, maskRange } from '../../src/protocol/mask.js';

/** The definition from RFC 6455 section 5.3, byte by byte. */
function referenceMask(data: Buffer, key: Buffer, offset: number): Buffer {
  const out = Buffer.from(data);
  for (let i = 0; i < out.length; i++) out[i]! ^= key[(i + offset) & 3]!;
  return out;
}

test('applyMask matches the byte-wise definition for every length, alignment and mask offset', () => {
  const key = Buffer.from('a1b2c3d4', 'hex');
  const backing = Buffer.alloc(256);
  for (let i = 0; i < backing.length; i++) backing[i] = (i * 13) & 0xff;
  for (const length of [0, 1, 3, 4, 5, 31, 32, 33, 64, 100, 131]) {
    for (let align = 0; align < 4; align++) {
      for (let offset = 0; offset < 6; offset++) {
        // Views at different byte offsets exercise the unaligned lead-in before the word loop.
        const data = Buffer.from(backing).subarray(align, align + length);
        const expected = referenceMask(data, key, offset);
        applyMask(data, key, offset);
        assert.deepEqual(data, expected, `length ${length} align ${align} offset ${offset}`);
      }
    }
  }
});

test('masking twice restores the data, also when split into pieces with running offsets', () => {
  const key = Buffer.from('37fa213d', 'hex');
  const original = Buffer.from('a payload that is unmasked in several pieces of odd sizes, as it arrives');
  const data = Buffer.from(original);
  applyMask(data, key);
  assert.notDeepEqual(data, original);
  let done = 0;
  for (const size of [1, 6, 33, 3, 100]) {
    const piece = data.subarray(done, Math.min(done + size, data.length));
    applyMask(piece, key, done);
    done += piece.length;
  }
  assert.deepEqual(data, original);
});

test('maskRange masks only the given range, with the key as a big-endian int32', () => {
  const data = Buffer.alloc(80, 0);
  maskRange(data, 10, 70, 0x11223344, 1);
  assert.deepEqual(data.subarray(0, 10), Buffer.alloc(10));
  assert.deepEqual(data.subarray(70), Buffer.alloc(10));
  assert.equal(data.subarray(10, 14).toString('hex'), '22334411');
  assert.equal(data.subarray(66, 70).toString('hex'), '22334411');
});
