import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isValidUtf8, Utf8Validator } from '../../src/protocol/utf8.js';

const VALID: string[] = [
  '',
  '48656c6c6f', // ASCII
  'c280', // U+0080, smallest 2-byte
  'dfbf', // U+07FF
  'e0a080', // U+0800, smallest 3-byte
  'ed9fbf', // U+D7FF, just below the surrogates
  'ee8080', // U+E000, just above them
  'efbfbf', // U+FFFF
  'f0908080', // U+10000, smallest 4-byte
  'f48fbfbf', // U+10FFFF, the largest code point
  'cebae1bdb9cf83cebcceb5', // "κόσμε"
];

/** [hex, index of the first byte that makes the sequence invalid] */
const INVALID: [string, number][] = [
  ['80', 0], // lone continuation byte
  ['41bf', 1],
  ['c080', 0], // overlong '\0'
  ['c1bf', 0], // overlong 2-byte
  ['e08080', 1], // overlong 3-byte
  ['e09fbf', 1],
  ['eda080', 1], // U+D800 (surrogate)
  ['edbfbf', 1], // U+DFFF
  ['f0808080', 1], // overlong 4-byte
  ['f08fbfbf', 1],
  ['f4908080', 1], // U+110000
  ['f5808080', 0], // lead bytes that could only encode > U+10FFFF
  ['f7bfbfbf', 0],
  ['f888808080', 0], // old 5- and 6-byte forms
  ['fe', 0],
  ['ff', 0],
  ['c241', 1], // sequence interrupted by ASCII
  ['e28241', 2],
  ['f09f9841', 3],
  ['cebae1bdb9cf83cebcceb5eda080656469746564', 12], // Autobahn 6.x: surrogate inside "κόσμε"
];

const TRUNCATED = ['c2', 'e282', 'f09f98', '41f0', 'cebae1bd'];

test('isValidUtf8 on whole buffers', () => {
  for (const h of VALID) assert.equal(isValidUtf8(Buffer.from(h, 'hex')), true, h);
  for (const [h] of INVALID) assert.equal(isValidUtf8(Buffer.from(h, 'hex')), false, h);
  for (const h of TRUNCATED) assert.equal(isValidUtf8(Buffer.from(h, 'hex')), false, h);
});

test('Utf8Validator accepts valid text split at every position', () => {
  for (const h of VALID) {
    const bytes = Buffer.from(h, 'hex');
    for (let cut = 0; cut <= bytes.length; cut++) {
      const v = new Utf8Validator();
      assert.equal(v.push(bytes, 0, cut), true, `${h} @${cut}`);
      assert.equal(v.push(bytes, cut), true, `${h} @${cut}`);
      assert.equal(v.isComplete, true, `${h} @${cut}`);
    }
  }
});

test('Utf8Validator fails fast: false exactly at the first offending byte', () => {
  for (const [h, badAt] of INVALID) {
    const bytes = Buffer.from(h, 'hex');
    const v = new Utf8Validator();
    for (let i = 0; i < badAt; i++) assert.equal(v.push(bytes, i, i + 1), true, `${h}: byte ${i} is still valid`);
    assert.equal(v.push(bytes, badAt, badAt + 1), false, `${h}: byte ${badAt} is invalid`);
    // Sticky: nothing valid can follow.
    assert.equal(v.push(Buffer.from('41', 'hex')), false);
    assert.equal(v.isComplete, false);
  }
});

test('truncated sequences are accepted so far but not complete', () => {
  for (const h of TRUNCATED) {
    const v = new Utf8Validator();
    assert.equal(v.push(Buffer.from(h, 'hex')), true, h);
    assert.equal(v.isComplete, false, h);
  }
});

test('a 4-byte sequence split over several pushes; reset() starts over', () => {
  const v = new Utf8Validator();
  const smile = Buffer.from('f09f9880', 'hex');
  for (let i = 0; i < 4; i++) {
    assert.equal(v.push(smile, i, i + 1), true);
    assert.equal(v.isComplete, i === 3);
  }
  v.push(Buffer.from('ff', 'hex'));
  v.reset();
  assert.equal(v.isComplete, true);
  assert.equal(v.push(Buffer.from('e282ac', 'hex')), true);
  assert.equal(v.isComplete, true);
});

test('long pushes (native path) agree with isValidUtf8, including partial sequences at the end', () => {
  const text = Buffer.from('Börse 株価 📈 '.repeat(40));
  // Every cut position across the text, pushed as two long-ish ranges.
  for (let cut = 60; cut < text.length - 60; cut += 7) {
    const v = new Utf8Validator();
    assert.equal(v.push(text, 0, cut), true, `cut ${cut}`);
    assert.equal(v.push(text, cut), true, `cut ${cut}`);
    assert.equal(v.isComplete, true);
  }
  const bad = Buffer.from(text);
  bad[300] = 0xff;
  const v = new Utf8Validator();
  assert.equal(v.push(bad, 0, 299), true);
  assert.equal(v.push(bad, 299, 400), false);
});

test('random byte strings at random cuts: the validator agrees with buffer.isUtf8', () => {
  let seed = 12345;
  const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8) / 0x1000000;
  const alphabet = [0x41, 0x7f, 0x80, 0xbf, 0xc2, 0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xa0, 0x9f, 0x90, 0x8f];
  for (let n = 0; n < 3000; n++) {
    const length = Math.floor(rand() * 160);
    const bytes = Buffer.alloc(length);
    // Mostly valid text with sprinkled dangerous bytes, so both outcomes are common.
    const sample = Buffer.from('aé€😀'.repeat(30));
    for (let i = 0; i < length; i++) {
      bytes[i] = rand() < 0.03 ? alphabet[Math.floor(rand() * alphabet.length)]! : sample[i % sample.length]!;
    }
    const v = new Utf8Validator();
    let ok = true;
    let at = 0;
    while (at < length) {
      const next = Math.min(length, at + 1 + Math.floor(rand() * 90));
      ok = v.push(bytes, at, next) && ok;
      at = next;
    }
    assert.equal(ok && v.isComplete, isValidUtf8(bytes), bytes.toString('hex'));
  }
});
