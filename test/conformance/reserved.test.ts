/**
 * Autobahn sections 3 (reserved bits) and 4 (reserved opcodes). Without a negotiated extension
 * every RSV bit and every opcode 3-7 / 0xB-0xF is a protocol error (RFC 6455 5.2): the server must
 * close with 1002, after echoing whatever valid message came before, and ignore what follows.
 */
import { pong, PROTOCOL_ERROR, text, type ConformanceCase } from './case-runner.js';
import type { Delivery } from './raw-client.js';
import { conformanceSuite } from './suite.js';
import { OP, type FrameSpec } from './wire.js';

const HELLO = 'Hello, world!';

/** A bad frame alone: nothing comes back but close 1002. */
function alone(id: string, title: string, frame: FrameSpec, extensions?: string): ConformanceCase {
  return { id, title, extensions, send: (c) => c.sendFrame(frame), expect: [], close: PROTOCOL_ERROR };
}

/** Valid text, then the bad frame, then a ping: the text is echoed, the ping never answered. */
function afterValid(id: string, title: string, bad: FrameSpec, how: Delivery): ConformanceCase {
  return {
    id,
    title: `${title} (${how})`,
    send: (c) => c.deliver([{ opcode: OP.TEXT, payload: HELLO }, bad, { opcode: OP.PING }], how),
    expect: [text(HELLO)],
    close: PROTOCOL_ERROR,
  };
}

const BIN8 = Buffer.from('00fffefdfcfb00ff', 'hex');
const DEFLATE = 'permessage-deflate';

const section3: ConformanceCase[] = [
  alone('3.1', 'text with RSV3 (rsv=1)', { opcode: OP.TEXT, payload: HELLO, rsv: 1 }),
  afterValid('3.2', 'text, then text with RSV2 (rsv=2), then ping', { opcode: OP.TEXT, payload: HELLO, rsv: 2 }, 'one-write'),
  afterValid('3.3', 'text, then text with RSV2+RSV3 (rsv=3), then ping', { opcode: OP.TEXT, payload: HELLO, rsv: 3 }, 'frame-by-frame'),
  afterValid('3.4', 'text, then text with RSV1 (rsv=4) and no extension, then ping', { opcode: OP.TEXT, payload: HELLO, rsv: 4 }, 'chopped'),
  alone('3.5', 'binary with RSV1+RSV3 (rsv=5)', { opcode: OP.BINARY, payload: BIN8, rsv: 5 }),
  // Autobahn's 3.6 is described as a ping but its code sends a binary frame; both are covered.
  alone('3.6', 'ping with RSV1+RSV2 (rsv=6)', { opcode: OP.PING, payload: HELLO, rsv: 6 }),
  alone('3.7', 'close with all RSV bits (rsv=7)', { opcode: OP.CLOSE, rsv: 7 }),
  alone('3.x1', 'binary with RSV1+RSV2 (rsv=6), as Autobahn 3.6 actually sends', { opcode: OP.BINARY, payload: HELLO, rsv: 6 }),
  alone('3.x2', 'pong with RSV2 (rsv=2)', { opcode: OP.PONG, payload: HELLO, rsv: 2 }),
  alone('3.x3', 'close 1000 with RSV1 (rsv=4)', { opcode: OP.CLOSE, payload: Buffer.from([0x03, 0xe8]), rsv: 4 }),
  afterValid('3.x4', 'text, then binary with RSV3 (rsv=1), then ping', { opcode: OP.BINARY, payload: BIN8, rsv: 1 }, 'one-write'),
  afterValid('3.x5', 'text, then ping with RSV1 (rsv=4), then ping', { opcode: OP.PING, payload: 'x', rsv: 4 }, 'frame-by-frame'),
  // With permessage-deflate negotiated RSV1 means "compressed" but only on a message's first frame.
  alone('3.x6', 'deflate negotiated: ping with RSV1', { opcode: OP.PING, payload: 'x', rsv: 4 }, DEFLATE),
  alone('3.x7', 'deflate negotiated: text with RSV2', { opcode: OP.TEXT, payload: HELLO, rsv: 2 }, DEFLATE),
  {
    id: '3.x8',
    title: 'deflate negotiated: RSV1 on a continuation frame',
    extensions: DEFLATE,
    send: (c) =>
      c.deliver(
        [
          { opcode: OP.TEXT, payload: 'frag', fin: false },
          { opcode: OP.CONT, payload: 'ment', fin: true, rsv: 4 },
        ],
        'one-write',
      ),
    expect: [],
    close: PROTOCOL_ERROR,
  },
  {
    id: '3.x9',
    title: 'deflate negotiated: close with RSV1 after a valid ping',
    extensions: DEFLATE,
    send: (c) => c.deliver([{ opcode: OP.PING, payload: 'p' }, { opcode: OP.CLOSE, rsv: 4 }], 'one-write'),
    expect: [pong('p')],
    close: PROTOCOL_ERROR,
  },
];

const section4: ConformanceCase[] = [
  alone('4.1.1', 'reserved non-control opcode 3, empty', { opcode: 3 }),
  alone('4.1.2', 'reserved non-control opcode 4 with payload', { opcode: 4, payload: 'reserved opcode payload' }),
  afterValid('4.1.3', 'text, then opcode 5, then ping', { opcode: 5 }, 'one-write'),
  afterValid('4.1.4', 'text, then opcode 6 with payload, then ping', { opcode: 6, payload: HELLO }, 'one-write'),
  afterValid('4.1.5', 'text, then opcode 7 with payload, then ping', { opcode: 7, payload: HELLO }, 'chopped'),
  alone('4.2.1', 'reserved control opcode 11, empty', { opcode: 11 }),
  alone('4.2.2', 'reserved control opcode 12 with payload', { opcode: 12, payload: 'reserved opcode payload' }),
  afterValid('4.2.3', 'text, then opcode 13, then ping', { opcode: 13 }, 'one-write'),
  afterValid('4.2.4', 'text, then opcode 14 with payload, then ping', { opcode: 14, payload: HELLO }, 'one-write'),
  afterValid('4.2.5', 'text, then opcode 15 with payload, then ping', { opcode: 15, payload: HELLO }, 'chopped'),
  // Every reserved opcode, also non-final (a fragmented reserved frame is still reserved).
  ...[3, 4, 5, 6, 7, 11, 12, 13, 14, 15].map((opcode) =>
    alone(`4.x${opcode}`, `reserved opcode ${opcode}, FIN clear`, { opcode, payload: 'x', fin: false }),
  ),
];

conformanceSuite('Autobahn 3.x reserved bits', section3);
conformanceSuite('Autobahn 4.x reserved opcodes', section4);
