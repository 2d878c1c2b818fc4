/**
 * Autobahn sections 1 (framing: text and binary messages at every length-encoding boundary, whole
 * and chopped into small writes) and 2 (pings and pongs).
 */
import { binary, pong, text, type ConformanceCase } from './case-runner.js';
import { conformanceSuite } from './suite.js';
import { buildFrame, OP } from './wire.js';

const TEXT_LENGTHS = [0, 125, 126, 127, 128, 65535, 65536];

function messageCases(section: string, opcode: number, fill: number, chops: Array<[string, number, number]>): ConformanceCase[] {
  const isBinary = opcode === OP.BINARY;
  const cases: ConformanceCase[] = TEXT_LENGTHS.map((length, i) => {
    const payload = Buffer.alloc(length, fill);
    return {
      id: `${section}.${i + 1}`,
      title: `${isBinary ? 'binary' : 'text'} message of ${length} bytes`,
      send: (c) => c.sendFrame({ opcode, payload }),
      expect: [isBinary ? binary(payload) : text(payload)],
      close: { by: 'client' },
    };
  });
  for (const [id, length, chopSize] of chops) {
    const payload = Buffer.alloc(length, fill);
    cases.push({
      id,
      title: `${isBinary ? 'binary' : 'text'} message of ${length} bytes written in ${chopSize}-byte chops`,
      send: (c) => c.sendFrame({ opcode, payload }, chopSize),
      expect: [isBinary ? binary(payload) : text(payload)],
      close: { by: 'client' },
    });
  }
  return cases;
}

const asterisk = 0x2a;
const section1: ConformanceCase[] = [
  // Autobahn's 1.x.8 chops 64 KiB into 997-byte writes; the 1-byte chops around each length
  // encoding boundary are this suite's additions (1.x.x*).
  ...messageCases('1.1', OP.TEXT, asterisk, [
    ['1.1.8', 65536, 997],
    ['1.1.x1', 125, 1],
    ['1.1.x2', 126, 1],
    ['1.1.x3', 127, 1],
    ['1.1.x4', 65536, 4096],
  ]),
  ...messageCases('1.2', OP.BINARY, 0xfe, [
    ['1.2.8', 65536, 997],
    ['1.2.x1', 125, 1],
    ['1.2.x2', 126, 1],
    ['1.2.x3', 300, 1],
  ]),
];

/** Every length around the 7-bit/16-bit/64-bit length encodings, in one write, in order. */
const SWEEP_LENGTHS = [...Array.from({ length: 261 }, (_, n) => n), ...Array.from({ length: 11 }, (_, n) => 65530 + n)];
function lengthSweep(id: string, opcode: number): ConformanceCase {
  const payloads = SWEEP_LENGTHS.map((n) => Buffer.alloc(n, opcode === OP.BINARY ? n & 0xff : 0x61 + (n % 26)));
  return {
    id,
    title: `${opcode === OP.BINARY ? 'binary' : 'text'} messages of every length 0..260 and 65530..65540 in one write`,
    send: (c) => c.sendFrames(payloads.map((payload) => ({ opcode, payload }))),
    expect: payloads.map((p) => (opcode === OP.BINARY ? binary(p) : text(p))),
    close: { by: 'client' },
  };
}
section1.push(lengthSweep('1.1.x5', OP.TEXT), lengthSweep('1.2.x4', OP.BINARY));

const tenPings = Array.from({ length: 10 }, (_, i) => `payload-${i}`);
const allPingLengths = Array.from({ length: 126 }, (_, n) => Buffer.alloc(n, n & 0xff));

const section2: ConformanceCase[] = [
  { id: '2.1', title: 'ping without payload', send: (c) => c.sendFrame({ opcode: OP.PING }), expect: [pong()], close: { by: 'client' } },
  {
    id: '2.2',
    title: 'ping with a small text payload',
    send: (c) => c.sendFrame({ opcode: OP.PING, payload: 'Hello, world!' }),
    expect: [pong('Hello, world!')],
    close: { by: 'client' },
  },
  {
    id: '2.3',
    title: 'ping with a small binary payload',
    send: (c) => c.sendFrame({ opcode: OP.PING, payload: Buffer.from('00fffefdfcfb00ff', 'hex') }),
    expect: [pong(Buffer.from('00fffefdfcfb00ff', 'hex'))],
    close: { by: 'client' },
  },
  {
    id: '2.4',
    title: 'ping with a 125-byte binary payload',
    send: (c) => c.sendFrame({ opcode: OP.PING, payload: Buffer.alloc(125, 0xfe) }),
    expect: [pong(Buffer.alloc(125, 0xfe))],
    close: { by: 'client' },
  },
  {
    id: '2.5',
    title: 'ping with a 126-byte payload: protocol error',
    send: (c) => c.sendFrame({ opcode: OP.PING, payload: Buffer.alloc(126, 0xfe) }),
    expect: [],
    close: { by: 'server', codes: [1002] },
  },
  {
    id: '2.6',
    title: 'ping with a 125-byte payload written in 1-byte chops',
    send: (c) => c.sendFrame({ opcode: OP.PING, payload: Buffer.alloc(125, 0xfe) }, 1),
    expect: [pong(Buffer.alloc(125, 0xfe))],
    close: { by: 'client' },
  },
  {
    id: '2.7',
    title: 'unsolicited pong without payload, then close: no answer to the pong',
    send: async (c) => {
      await c.sendFrame({ opcode: OP.PONG });
      await c.sendClose(1000);
    },
    expect: [],
    close: { by: 'client' },
  },
  {
    id: '2.8',
    title: 'unsolicited pong with payload, then close',
    send: async (c) => {
      await c.sendFrame({ opcode: OP.PONG, payload: 'unsolicited pong payload' });
      await c.sendClose(1000);
    },
    expect: [],
    close: { by: 'client' },
  },
  {
    id: '2.9',
    title: 'unsolicited pong, then ping: only the ping is answered',
    send: async (c) => {
      await c.sendFrame({ opcode: OP.PONG, payload: 'unsolicited pong payload' });
      await c.sendFrame({ opcode: OP.PING, payload: 'ping payload' });
    },
    expect: [pong('ping payload')],
    close: { by: 'client' },
  },
  {
    id: '2.10',
    title: '10 pings in a row: 10 pongs in order',
    send: async (c) => {
      for (const p of tenPings) await c.sendFrame({ opcode: OP.PING, payload: p });
    },
    expect: tenPings.map((p) => pong(p)),
    close: { by: 'client' },
  },
  {
    id: '2.11',
    title: '10 pings in a row, each written in 1-byte chops',
    send: async (c) => {
      for (const p of tenPings) await c.sendFrame({ opcode: OP.PING, payload: p }, 1);
    },
    expect: tenPings.map((p) => pong(p)),
    close: { by: 'client' },
  },
  {
    id: '2.x1',
    title: 'pings with every payload length 0..125 in one write: identical pongs in order',
    send: (c) => c.write(Buffer.concat(allPingLengths.map((payload) => buildFrame({ opcode: OP.PING, payload })))),
    expect: allPingLengths.map((p) => pong(p)),
    close: { by: 'client' },
  },
  {
    id: '2.x2',
    title: 'ping whose 16-bit extended length says 126: protocol error',
    // Only a 7-bit length is legal for control frames; the extended form itself is the error.
    send: (c) => c.sendFrame({ opcode: OP.PING, payload: Buffer.alloc(200, 1) }),
    expect: [],
    close: { by: 'server', codes: [1002] },
  },
];

conformanceSuite('Autobahn 1.x framing', section1);
conformanceSuite('Autobahn 2.x pings and pongs', section2);
