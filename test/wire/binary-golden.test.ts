// The golden frames of docs/wire-binary.md ("Worked examples"), byte for byte, both ways: the spec
// and the code cannot drift apart without this test failing.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ServerMessage } from '../../src/wire/types.js';
import { decodeServerMessageBinary, encodeServerMessageBinary } from '../../src/wire/binary/index.js';

function bytes(hex: string): Uint8Array {
  const clean = hex.replace(/#.*$/gm, '').replace(/\s+/g, '');
  return Uint8Array.from(clean.match(/../g) ?? [], (h) => parseInt(h, 16));
}

const GOLDEN: { name: string; message: ServerMessage; hex: string }[] = [
  {
    name: 'a quotes message with one quote (the docs/api.md example)',
    message: {
      type: 'quotes',
      quotes: [{
        symbol: 'AAPL', last: 189.25, bid: 189.24, ask: 189.26, open: 188.1, high: 190, low: 187.9, prevClose: 187.95,
        change: 1.3, changePct: 0.69, volume: 1234890, ts: 1732400000456, seq: 43,
      }],
      offset: 48220,
    },
    hex: `
      01                   # format version 1
      06                   # type: quotes
      00 b8 f1 05          # offset: num int, zigzag(48220) = 96440
      01                   # 1 quote
      04 41 41 50 4c       # symbol "AAPL"
      22                   # header: price scale 2, changePct scale 2, no exceptions
      da a7 02             # last: zigzag(18925)
      01                   # bid: 18924 - 18925 = -1
      02                   # ask: +1
      e5 01                # open: 18810 - 18925 = -115
      96 01                # high: 19000 - 18925 = +75
      8d 02                # low: 18790 - 18925 = -135
      83 02                # prevClose: 18795 - 18925 = -130
      00                   # change: 130 - (18925 - 18795) = 0
      8a 01                # changePct: zigzag(69)
      ca af 4b             # volume: 1234890
      c8 db d8 d8 b5 32    # ts: 1732400000456
      2b                   # seq: 43
    `,
  },
  {
    name: 'a pong with a numeric id',
    message: { type: 'pong', id: 5, ts: 1732400000789 },
    hex: `
      01 0a                # version 1, type: pong
      03                   # flags: id present, id is a number
      00 0a                # id: num int, zigzag(5)
      00 aa bc b1 b1 eb 64 # ts: num int, zigzag(1732400000789)
    `,
  },
  {
    name: 'a quote with an exception: changePct is NaN',
    message: {
      type: 'quotes',
      quotes: [{ symbol: 'X', last: 1, bid: 1, ask: 1, open: 1, high: 1, low: 1, prevClose: 1, change: 0, changePct: NaN, volume: 0, ts: 0, seq: 0 }],
      offset: 0,
    },
    hex: `
      01 06 00 00 01       # version, quotes, offset 0, 1 quote
      01 58                # symbol "X"
      80                   # header: price scale 0, changePct scale 0, exceptions follow
      80 02                # exception mask 0x100: changePct
      02                   # last: zigzag(1)
      00 00 00 00 00 00    # bid ask open high low prevClose: +0 each
      00                   # change: 0 - (1 - 1) = 0
      00 00 00 00 00 00 f8 7f  # changePct: float64 NaN, little-endian
      00 00 00             # volume ts seq
    `,
  },
  {
    name: 'an error with a string id and symbols',
    message: { type: 'error', id: 'a', code: 'unknown_symbol', message: 'unknown symbols', symbols: ['NOPE'] },
    hex: `
      01 0c                # version 1, type: error
      05                   # flags: id present (string), symbols present
      01 61                # id "a"
      0e 75 6e 6b 6e 6f 77 6e 5f 73 79 6d 62 6f 6c        # code "unknown_symbol"
      0f 75 6e 6b 6e 6f 77 6e 20 73 79 6d 62 6f 6c 73     # message "unknown symbols"
      01 04 4e 4f 50 45    # symbols: ["NOPE"]
    `,
  },
  {
    name: 'a heartbeat whose ts has decimals',
    message: { type: 'heartbeat', ts: 1.5 },
    hex: `
      01 09                # version 1, type: heartbeat
      01 01 1e             # ts: num decimal, scale 1, zigzag(15)
    `,
  },
  {
    name: 'an empty recovered:false snapshot',
    message: { type: 'snapshot', quotes: [], offset: 7, recovered: false },
    hex: `
      01 05                # version 1, type: snapshot
      04                   # flags: recovered present, false
      00 0e                # offset: num int, zigzag(7)
      00                   # no quotes
    `,
  },
];

describe('tickstream.bin.v1 golden frames (docs/wire-binary.md)', () => {
  for (const { name, message, hex } of GOLDEN) {
    test(name, () => {
      const expected = bytes(hex);
      assert.deepStrictEqual(encodeServerMessageBinary(message), expected);
      assert.deepStrictEqual(decodeServerMessageBinary(expected), message);
    });
  }

  test('the golden quotes frame is 39 bytes, its JSON 231', () => {
    assert.equal(bytes(GOLDEN[0]!.hex).length, 39);
    assert.equal(Buffer.byteLength(JSON.stringify(GOLDEN[0]!.message)), 231);
  });
});
