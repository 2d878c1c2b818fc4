/**
 * Autobahn section 6 (UTF-8 handling): valid text in every fragmentation, invalid text failed with
 * 1007, fail-fast (6.4: the connection must be failed as soon as the invalid byte arrives, before
 * the rest of the message is sent), and the UTF-8 decoder sequences of 6.5-6.23.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { text, type ConformanceCase } from './case-runner.js';
import { isWellFormedUtf8, type RawClient } from './raw-client.js';
import { conformanceSuite } from './suite.js';
import { KOSME, UTF8_GROUPS } from './utf8-sequences.js';
import { buildFrame, fragmentMessage, OP } from './wire.js';

const INVALID_PAYLOAD = { by: 'server', codes: [1007] } as const;
const GERMAN = 'Hello-µ@ßöäüàá-UTF-8!!';
/** κόσμε, then U+D800 encoded (a surrogate: invalid at its second byte, 0xA0), then "edited". */
const WITH_SURROGATE = Buffer.concat([KOSME, Buffer.from('eda080', 'hex'), Buffer.from('edited')]);
/** κόσμε, then 0x110000 in the UTF-8 bit pattern (invalid at 0x90: beyond U+10FFFF), then "edited". */
const PART1 = KOSME;
const PART2 = Buffer.from('f4908080', 'hex');
const PART3 = Buffer.from('edited');
const BEYOND_MAX = Buffer.concat([PART1, PART2, PART3]);

function oneByteFragments(payload: Buffer): Buffer {
  return Buffer.concat(fragmentMessage(OP.TEXT, payload, 1));
}

/**
 * 6.4.1/6.4.2: a fragmented message whose first part is valid and whose second part makes it
 * invalid. A ping after the first part proves the server accepted it (Autobahn waits 1 s instead);
 * after the second part the close 1007 must arrive before we would send the third.
 */
function failFastFragments(id: string, parts: [Buffer, Buffer, Buffer]): ConformanceCase {
  return {
    id,
    title: `fail fast: fragments ${parts.map((p) => p.toString('hex')).join(' | ')}`,
    send: async (c) => {
      await c.sendFrame({ opcode: OP.TEXT, payload: parts[0], fin: false });
      await c.sendFrame({ opcode: OP.PING, payload: 'still open?' });
      await c.waitForEvents(1, 2000);
      assert.equal(c.events[0]?.kind, 'pong', `server failed a valid first fragment: ${c.describe()}`);
      c.events.shift(); // the probe's pong is not part of the case's expectations
      await c.sendFrame({ opcode: OP.CONT, payload: parts[1], fin: false });
      await c.waitForCloseFrame(2000).catch(() => {
        throw new Error(`NON-STRICT: no close after the invalid fragment (must fail fast): ${c.describe()}`);
      });
      await c.sendFrame({ opcode: OP.CONT, payload: parts[2], fin: true });
    },
    expect: [],
    close: INVALID_PAYLOAD,
  };
}

/**
 * 6.4.3/6.4.4: the same payload in ONE frame whose bytes are written in three parts: the server
 * must judge the partial payload and fail before the frame is complete.
 */
function failFastWithinFrame(id: string, parts: [Buffer, Buffer, Buffer]): ConformanceCase {
  return {
    id,
    title: `fail fast within one frame: ${parts.map((p) => p.toString('hex')).join(' | ')}`,
    send: async (c: RawClient) => {
      const frame = buildFrame({ opcode: OP.TEXT, payload: Buffer.concat(parts) });
      const headerLength = frame.length - Buffer.concat(parts).length;
      const cut1 = headerLength + parts[0].length;
      const cut2 = cut1 + parts[1].length;
      await c.write(frame.subarray(0, cut1));
      await c.write(frame.subarray(cut1, cut2));
      await c.waitForCloseFrame(2000).catch(() => {
        throw new Error(`NON-STRICT: no close before the frame was complete (must fail fast): ${c.describe()}`);
      });
      await c.write(frame.subarray(cut2));
    },
    expect: [],
    close: INVALID_PAYLOAD,
  };
}

const sections6_1to6_4: ConformanceCase[] = [
  { id: '6.1.1', title: 'empty text message', send: (c) => c.sendFrame({ opcode: OP.TEXT }), expect: [text('')], close: { by: 'client' } },
  {
    id: '6.1.2',
    title: 'text message of 3 empty fragments',
    send: (c) =>
      c.write(Buffer.concat([buildFrame({ opcode: OP.TEXT, fin: false }), buildFrame({ opcode: OP.CONT, fin: false }), buildFrame({ opcode: OP.CONT })])),
    expect: [text('')],
    close: { by: 'client' },
  },
  {
    id: '6.1.3',
    title: 'text message: empty, non-empty, empty fragment',
    send: (c) =>
      c.write(
        Buffer.concat([
          buildFrame({ opcode: OP.TEXT, fin: false }),
          buildFrame({ opcode: OP.CONT, fin: false, payload: 'middle frame payload' }),
          buildFrame({ opcode: OP.CONT }),
        ]),
      ),
    expect: [text('middle frame payload')],
    close: { by: 'client' },
  },
  { id: '6.2.1', title: 'valid UTF-8 in one frame', send: (c) => c.sendFrame({ opcode: OP.TEXT, payload: GERMAN }), expect: [text(GERMAN)], close: { by: 'client' } },
  {
    id: '6.2.2',
    title: 'valid UTF-8 in two fragments split on a code point',
    send: (c) =>
      c.write(Buffer.concat([buildFrame({ opcode: OP.TEXT, fin: false, payload: 'Hello-µ@ßöä' }), buildFrame({ opcode: OP.CONT, payload: 'üàá-UTF-8!!' })])),
    expect: [text(GERMAN)],
    close: { by: 'client' },
  },
  {
    id: '6.2.3',
    title: 'valid UTF-8 in 1-byte fragments (split inside code points)',
    send: (c) => c.write(oneByteFragments(Buffer.from(GERMAN))),
    expect: [text(GERMAN)],
    close: { by: 'client' },
  },
  { id: '6.2.4', title: 'κόσμε in 1-byte fragments', send: (c) => c.write(oneByteFragments(KOSME)), expect: [text(KOSME)], close: { by: 'client' } },
  {
    id: '6.3.1',
    title: 'invalid UTF-8 (surrogate) in one frame',
    send: (c) => c.sendFrame({ opcode: OP.TEXT, payload: WITH_SURROGATE }),
    expect: [],
    close: INVALID_PAYLOAD,
  },
  { id: '6.3.2', title: 'invalid UTF-8 (surrogate) in 1-byte fragments', send: (c) => c.write(oneByteFragments(WITH_SURROGATE)), expect: [], close: INVALID_PAYLOAD },
  failFastFragments('6.4.1', [PART1, PART2, PART3]),
  failFastFragments('6.4.2', [BEYOND_MAX.subarray(0, 12), BEYOND_MAX.subarray(12, 13), BEYOND_MAX.subarray(13)]),
  failFastWithinFrame('6.4.3', [PART1, PART2, PART3]),
  failFastWithinFrame('6.4.4', [BEYOND_MAX.subarray(0, 12), BEYOND_MAX.subarray(12, 13), BEYOND_MAX.subarray(13)]),
];

const sequenceCases: ConformanceCase[] = UTF8_GROUPS.flatMap((group, g) =>
  group.sequences.map(
    (seq, i): ConformanceCase => ({
      id: `6.${g + 5}.${i + 1}`,
      title: `${group.title}: ${seq.bytes.length <= 16 ? seq.bytes.toString('hex') : `${seq.bytes.length} bytes`} (${seq.valid ? 'valid' : 'invalid'})`,
      send: (c) => c.sendFrame({ opcode: OP.TEXT, payload: seq.bytes }),
      expect: seq.valid ? [text(seq.bytes)] : [],
      close: seq.valid ? { by: 'client' } : INVALID_PAYLOAD,
    }),
  ),
);

test('the 6.5-6.23 table agrees with an independent validator and with TextDecoder (fatal)', () => {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  for (const group of UTF8_GROUPS) {
    for (const seq of group.sequences) {
      const label = `${group.title}: ${seq.bytes.toString('hex')}`;
      assert.equal(isWellFormedUtf8(seq.bytes), seq.valid, label);
      let decodes = true;
      try {
        decoder.decode(seq.bytes);
      } catch {
        decodes = false;
      }
      assert.equal(decodes, seq.valid, label);
    }
  }
  assert.equal(sequenceCases.length, 132);
});

conformanceSuite('Autobahn 6.1-6.4 UTF-8 handling and fail-fast', sections6_1to6_4);
conformanceSuite('Autobahn 6.5-6.23 UTF-8 decoder sequences', sequenceCases);
