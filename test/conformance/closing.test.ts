/**
 * Autobahn section 7 (closing): the server answers a valid close with the same code and drops TCP,
 * ignores everything after a close, and fails the connection with 1002 for malformed close frames
 * (1-byte payload, over-long reason, codes that may not be sent) and 1007 for a non-UTF-8 reason.
 */
import { pong, text, type CloseCodeExpected, type ConformanceCase } from './case-runner.js';
import { conformanceSuite } from './suite.js';
import { closePayload, OP, type FrameSpec } from './wire.js';

const HELLO = 'Hello World!';
const close1000: FrameSpec = { opcode: OP.CLOSE, payload: closePayload(1000) };

function closeWith(id: string, title: string, payload: Buffer, answer: readonly CloseCodeExpected[], failure = false): ConformanceCase {
  return {
    id,
    title,
    send: (c) => c.sendFrame({ opcode: OP.CLOSE, payload }),
    expect: [],
    close: failure ? { by: 'server', codes: answer } : { by: 'client', codes: answer },
  };
}

/** Autobahn 7.7: codes a peer may send; the server echoes the code (RFC 6455 5.5.1). */
const VALID_CODES = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999];
/** Registered after RFC 6455 (IANA): also sendable. */
const VALID_CODES_EXTRA = [1012, 1013, 1014];
/** Autobahn 7.9: codes that must never appear on the wire (RFC 6455 7.4); 7.13 adds 5000 and 65535. */
const INVALID_CODES = [0, 999, 1004, 1005, 1006, 1016, 1100, 2000, 2999];

/** κόσμε + a UTF-16 surrogate encoded in UTF-8 + "edited": invalid UTF-8. */
const INVALID_REASON = Buffer.from('cebae1bdb9cf83cebcceb5eda080656469746564', 'hex');

const section7: ConformanceCase[] = [
  { id: '7.1.1', title: 'text message, then close: echo, then close 1000', send: (c) => c.sendFrame({ opcode: OP.TEXT, payload: HELLO }), expect: [text(HELLO)], close: { by: 'client' } },
  {
    id: '7.1.2',
    title: 'close, then a second close: answered once',
    send: (c) => c.sendFrames([close1000, { opcode: OP.CLOSE }]),
    expect: [],
    close: { by: 'client' },
  },
  {
    id: '7.1.3',
    title: 'close, then ping: the ping is ignored',
    send: (c) => c.sendFrames([close1000, { opcode: OP.PING, payload: 'p' }]),
    expect: [],
    close: { by: 'client' },
  },
  {
    id: '7.1.4',
    title: 'close, then text: the text is ignored',
    send: (c) => c.sendFrames([close1000, { opcode: OP.TEXT, payload: HELLO }]),
    expect: [],
    close: { by: 'client' },
  },
  {
    id: '7.1.5',
    title: 'text fragment, close, final fragment: the message is dropped',
    send: (c) =>
      c.sendFrames([{ opcode: OP.TEXT, payload: 'fragment1', fin: false }, close1000, { opcode: OP.CONT, payload: 'fragment2' }]),
    expect: [],
    close: { by: 'client' },
  },
  {
    // Informational in Autobahn; here the strict answer: messages before the close are processed.
    id: '7.1.6',
    title: '256 KiB text, small text, close, ping: both echoed, ping ignored',
    send: (c) =>
      c.sendFrames([
        { opcode: OP.TEXT, payload: Buffer.alloc(256 * 1024, 'BAsd7&jh23') },
        { opcode: OP.TEXT, payload: HELLO },
        close1000,
        { opcode: OP.PING },
      ]),
    expect: [text(Buffer.alloc(256 * 1024, 'BAsd7&jh23')), text(HELLO)],
    close: { by: 'client' },
  },
  {
    id: '7.1.x1',
    title: 'ping, close, ping in one write: one pong, close, nothing after',
    send: (c) =>
      c.sendFrames([{ opcode: OP.PING, payload: 'before' }, close1000, { opcode: OP.PING, payload: 'after' }]),
    expect: [pong('before')],
    close: { by: 'client' },
  },
  {
    id: '7.1.x2',
    title: 'close, then a malformed frame (reserved opcode): still a clean 1000',
    send: (c) => c.sendFrames([close1000, { opcode: 5, payload: 'junk' }]),
    expect: [],
    close: { by: 'client' },
  },
  closeWith('7.3.1', 'close without payload: answered without a code (or 1000)', Buffer.alloc(0), [null, 1000]),
  closeWith('7.3.2', 'close with a 1-byte payload', Buffer.from('a'), [1002], true),
  closeWith('7.3.3', 'close 1000 without reason', closePayload(1000), [1000]),
  closeWith('7.3.4', 'close 1000 with a short reason', closePayload(1000, HELLO), [1000]),
  closeWith('7.3.5', 'close 1000 with a 123-byte reason (the maximum)', closePayload(1000, '*'.repeat(123)), [1000]),
  closeWith('7.3.6', 'close 1000 with a 124-byte reason (payload 126 > 125)', closePayload(1000, '*'.repeat(124)), [1002], true),
  closeWith('7.5.1', 'close 1000 with an invalid UTF-8 reason', closePayload(1000, INVALID_REASON), [1007], true),
  ...VALID_CODES.map((code, i) => closeWith(`7.7.${i + 1}`, `close with valid code ${code}: echoed`, closePayload(code), [code])),
  ...VALID_CODES_EXTRA.map((code, i) => closeWith(`7.7.x${i + 1}`, `close with registered code ${code}: echoed`, closePayload(code), [code])),
  ...INVALID_CODES.map((code, i) => closeWith(`7.9.${i + 1}`, `close with invalid code ${code}`, closePayload(code), [1002], true)),
  closeWith('7.13.1', 'close with code 5000 (outside the ranges)', closePayload(5000), [1002], true),
  closeWith('7.13.2', 'close with code 65535', closePayload(65535), [1002], true),
  closeWith('7.9.x1', 'close with code 1015 (TLS failure, never sent)', closePayload(1015), [1002], true),
  {
    id: '7.x1',
    title: 'close with a valid reason written in 1-byte chops',
    send: (c) => c.sendFrame({ opcode: OP.CLOSE, payload: closePayload(1001, 'going away, κόσμε') }, 1),
    expect: [],
    close: { by: 'client', codes: [1001] },
  },
  {
    id: '7.x2',
    title: 'close with a reason that is valid UTF-8 but cut inside a code point',
    send: (c) => c.sendFrame({ opcode: OP.CLOSE, payload: closePayload(1000, Buffer.from('κόσμε').subarray(0, 3)) }),
    expect: [],
    close: { by: 'server', codes: [1007] },
  },
];

conformanceSuite('Autobahn 7.x closing', section7);
