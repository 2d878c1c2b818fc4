/**
 * Autobahn section 5 (fragmentation): control frames may not be fragmented, continuation frames
 * need a message to continue, a new data frame may not start inside a fragmented message, and
 * control frames may be interleaved between fragments (RFC 6455 5.4).
 */
import { pong, PROTOCOL_ERROR, text, type ConformanceCase } from './case-runner.js';
import type { Delivery } from './raw-client.js';
import { conformanceSuite } from './suite.js';
import { OP, type FrameSpec } from './wire.js';


function framesCase(id: string, title: string, frames: FrameSpec[], how: Delivery, expect: ConformanceCase['expect'], fails: boolean): ConformanceCase {
  return {
    id,
    title: `${title} (${how})`,
    send: (c) => c.deliver(frames, how),
    expect,
    close: fails ? PROTOCOL_ERROR : { by: 'client' },
  };
}

const f = (opcode: number, payload: string, fin: boolean): FrameSpec => ({ opcode, payload, fin });
const continuationFirst = [f(OP.CONT, 'non-continuation payload', true), f(OP.TEXT, 'Hello, world!', true)];
const continuationFirstNonFinal = [f(OP.CONT, 'non-continuation payload', false), f(OP.TEXT, 'Hello, world!', true)];
const twoFragments = [f(OP.TEXT, 'fragment1', false), f(OP.CONT, 'fragment2', true)];
const withPing = [f(OP.TEXT, 'fragment1', false), f(OP.PING, 'ping payload', true), f(OP.CONT, 'fragment2', true)];
const badSequences = (first: FrameSpec): FrameSpec[] => {
  const seq = [first, f(OP.TEXT, 'fragment2', false), f(OP.CONT, 'fragment3', true)];
  return [...seq, ...seq];
};

/**
 * 5.19/5.20: Autobahn sends part of a fragmented message plus a ping, waits 1 s, then the rest.
 * Here the wait is the pong itself: the server has processed the partial message when it answers.
 */
function pausedMessage(id: string, how: Delivery): ConformanceCase {
  const fragments = ['fragment1', 'fragment2', 'fragment3', 'fragment4', 'fragment5'];
  return {
    id,
    title: `fragmented text with two pings, second half sent after the first pong (${how})`,
    send: async (c) => {
      await c.deliver([f(OP.TEXT, fragments[0], false), f(OP.CONT, fragments[1], false), f(OP.PING, 'pongme 1!', true)], how);
      await c.waitForEvents(1, 2000);
      await c.deliver(
        [f(OP.CONT, fragments[2], false), f(OP.CONT, fragments[3], false), f(OP.PING, 'pongme 2!', true), f(OP.CONT, fragments[4], true)],
        how,
      );
    },
    expect: [pong('pongme 1!'), pong('pongme 2!'), text(fragments.join(''))],
    close: { by: 'client' },
  };
}

const letters = 'fragmented one byte at a time';

const section5: ConformanceCase[] = [
  framesCase('5.1', 'ping in 2 fragments', [f(OP.PING, 'fragment1', false), f(OP.CONT, 'fragment2', true)], 'one-write', [], true),
  framesCase('5.2', 'pong in 2 fragments', [f(OP.PONG, 'fragment1', false), f(OP.CONT, 'fragment2', true)], 'one-write', [], true),
  framesCase('5.3', 'text in 2 fragments', twoFragments, 'one-write', [text('fragment1fragment2')], false),
  framesCase('5.4', 'text in 2 fragments', twoFragments, 'frame-by-frame', [text('fragment1fragment2')], false),
  framesCase('5.5', 'text in 2 fragments', twoFragments, 'chopped', [text('fragment1fragment2')], false),
  framesCase('5.6', 'text in 2 fragments with a ping between', withPing, 'one-write', [pong('ping payload'), text('fragment1fragment2')], false),
  framesCase('5.7', 'text in 2 fragments with a ping between', withPing, 'frame-by-frame', [pong('ping payload'), text('fragment1fragment2')], false),
  framesCase('5.8', 'text in 2 fragments with a ping between', withPing, 'chopped', [pong('ping payload'), text('fragment1fragment2')], false),
  framesCase('5.9', 'final continuation without a message, then text', continuationFirst, 'one-write', [], true),
  framesCase('5.10', 'final continuation without a message, then text', continuationFirst, 'frame-by-frame', [], true),
  framesCase('5.11', 'final continuation without a message, then text', continuationFirst, 'chopped', [], true),
  framesCase('5.12', 'non-final continuation without a message, then text', continuationFirstNonFinal, 'one-write', [], true),
  framesCase('5.13', 'non-final continuation without a message, then text', continuationFirstNonFinal, 'frame-by-frame', [], true),
  framesCase('5.14', 'non-final continuation without a message, then text', continuationFirstNonFinal, 'chopped', [], true),
  framesCase(
    '5.15',
    'text in 2 fragments, then a continuation after the message ended, then text',
    [f(OP.TEXT, 'fragment1', false), f(OP.CONT, 'fragment2', true), f(OP.CONT, 'fragment3', false), f(OP.TEXT, 'fragment4', true)],
    'one-write',
    [text('fragment1fragment2')],
    true,
  ),
  framesCase('5.16', 'twice: continuation, text (non-final), continuation', badSequences(f(OP.CONT, 'fragment1', false)), 'one-write', [], true),
  framesCase('5.17', 'twice: final continuation, text (non-final), continuation', badSequences(f(OP.CONT, 'fragment1', true)), 'one-write', [], true),
  framesCase('5.18', 'text fragment, then a new text frame inside it', [f(OP.TEXT, 'fragment1', false), f(OP.TEXT, 'fragment2', true)], 'one-write', [], true),
  pausedMessage('5.19', 'one-write'),
  pausedMessage('5.20', 'frame-by-frame'),
  framesCase('5.x1', 'close in 2 fragments', [{ opcode: OP.CLOSE, payload: Buffer.from([0x03, 0xe8]), fin: false }, f(OP.CONT, '', true)], 'one-write', [], true),
  framesCase(
    '5.x2',
    'text fragment, then a new binary frame inside it',
    [f(OP.TEXT, 'fragment1', false), { opcode: OP.BINARY, payload: 'fragment2', fin: true }],
    'frame-by-frame',
    [],
    true,
  ),
  framesCase(
    '5.x3',
    'text in 1-byte fragments with a ping after every fragment',
    [...letters].flatMap((ch, i) => [f(i === 0 ? OP.TEXT : OP.CONT, ch, i === letters.length - 1), f(OP.PING, `p${i}`, true)]),
    'one-write',
    // The last ping follows the final fragment, so its pong comes after the echo.
    [...[...letters].slice(1).map((_, i) => pong(`p${i}`)), text(letters), pong(`p${letters.length - 1}`)],
    false,
  ),
  framesCase(
    '5.x4',
    'text in 1-byte fragments, each written in 1-byte chops',
    [...letters].map((ch, i) => f(i === 0 ? OP.TEXT : OP.CONT, ch, i === letters.length - 1)),
    'chopped',
    [text(letters)],
    false,
  ),
  framesCase(
    '5.x5',
    'two fragmented messages back to back with pings between',
    [
      f(OP.TEXT, 'a1', false), f(OP.PING, 'x', true), f(OP.CONT, 'a2', true),
      { opcode: OP.BINARY, payload: 'b1', fin: false }, f(OP.CONT, 'b2', false), f(OP.PING, 'y', true), f(OP.CONT, 'b3', true),
    ],
    'one-write',
    [pong('x'), text('a1a2'), pong('y'), { kind: 'message', binary: true, data: Buffer.from('b1b2b3') }],
    false,
  ),
];

conformanceSuite('Autobahn 5.x fragmentation', section5);
