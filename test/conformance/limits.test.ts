/**
 * Autobahn sections 9 (limits / performance) and 10 (auto-fragmentation): large messages in one
 * frame, fixed-size messages in ever larger fragments, one message written in small TCP chops,
 * and many round trips. Autobahn sends 1000 round trips per 9.7/9.8 case; this suite sends fewer
 * to stay within `npm test` time on a small machine, every other size is Autobahn's.
 */
import { binary, text, type ConformanceCase } from './case-runner.js';
import { conformanceSuite } from './suite.js';
import { buildFrame, fragmentMessage, OP } from './wire.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const SIZES = [64 * KiB, 256 * KiB, 1 * MiB, 4 * MiB, 8 * MiB, 16 * MiB];
const FRAGMENT_SIZES = [64, 256, 1 * KiB, 4 * KiB, 16 * KiB, 64 * KiB, 256 * KiB, 1 * MiB, 4 * MiB];
const CHOP_SIZES = [64, 128, 256, 512, 1024, 2048];
const ROUND_TRIP_SIZES = [0, 16, 64, 256, 1024, 4096];
const ROUND_TRIPS = 200;

const textPayload = (length: number): Buffer => Buffer.alloc(length, 'BAsd7&jh23');
const binaryPayload = (length: number): Buffer => Buffer.alloc(length, 0xfe);
/** Large messages take longer to mask, echo and compare than the 2 s default. */
const timeoutFor = (length: number): number => 2000 + Math.ceil(length / MiB) * 500;

function bigMessages(section: string, isBinary: boolean): ConformanceCase[] {
  return SIZES.map((length, i) => {
    const payload = isBinary ? binaryPayload(length) : textPayload(length);
    return {
      id: `${section}.${i + 1}`,
      title: `${isBinary ? 'binary' : 'text'} message of ${length / KiB} KiB in one frame`,
      send: (c) => c.sendFrame({ opcode: isBinary ? OP.BINARY : OP.TEXT, payload }),
      expect: [isBinary ? binary(payload) : text(payload)],
      close: { by: 'client' },
      eventTimeoutMs: timeoutFor(length),
    };
  });
}

function fragmented(section: string, isBinary: boolean): ConformanceCase[] {
  const length = 4 * MiB;
  return FRAGMENT_SIZES.map((size, i) => {
    const payload = isBinary ? binaryPayload(length) : Buffer.alloc(length, '*');
    return {
      id: `${section}.${i + 1}`,
      title: `4 MiB ${isBinary ? 'binary' : 'text'} message in ${size}-byte fragments (${length / size} frames)`,
      send: (c) => c.write(Buffer.concat(fragmentMessage(isBinary ? OP.BINARY : OP.TEXT, payload, size))),
      expect: [isBinary ? binary(payload) : text(payload)],
      close: { by: 'client' },
      eventTimeoutMs: timeoutFor(length) * 2,
    };
  });
}

function chopped(section: string, isBinary: boolean): ConformanceCase[] {
  const length = 1 * MiB;
  return CHOP_SIZES.map((chopSize, i) => {
    const payload = isBinary ? binaryPayload(length) : textPayload(length);
    return {
      id: `${section}.${i + 1}`,
      title: `1 MiB ${isBinary ? 'binary' : 'text'} message written in ${chopSize}-byte chops`,
      send: (c) => c.sendFrame({ opcode: isBinary ? OP.BINARY : OP.TEXT, payload }, chopSize),
      expect: [isBinary ? binary(payload) : text(payload)],
      close: { by: 'client' },
      eventTimeoutMs: timeoutFor(length),
    };
  });
}

function roundTrips(section: string, isBinary: boolean): ConformanceCase[] {
  return ROUND_TRIP_SIZES.map((length, i) => {
    const payload = isBinary ? Buffer.alloc(length, 0xfe) : Buffer.alloc(length, '*');
    const frame = buildFrame({ opcode: isBinary ? OP.BINARY : OP.TEXT, payload });
    return {
      id: `${section}.${i + 1}`,
      title: `${ROUND_TRIPS} ${isBinary ? 'binary' : 'text'} messages of ${length} bytes, each sent after the previous echo`,
      send: async (c) => {
        for (let n = 1; n <= ROUND_TRIPS; n++) {
          await c.write(frame);
          await c.waitForEvents(n, 2000);
        }
      },
      expect: Array.from({ length: ROUND_TRIPS }, () => (isBinary ? binary(payload) : text(payload))),
      close: { by: 'client' },
    };
  });
}

const autoFragmented = Buffer.alloc(64 * KiB, '*');

const section9: ConformanceCase[] = [
  ...bigMessages('9.1', false),
  ...bigMessages('9.2', true),
  ...fragmented('9.3', false),
  ...fragmented('9.4', true),
  ...chopped('9.5', false),
  ...chopped('9.6', true),
  ...roundTrips('9.7', false),
  ...roundTrips('9.8', true),
  {
    // The limit is known from the header: the server must not wait for (or buffer) the payload.
    id: '9.x1',
    title: 'frame header announcing 64 MiB + 1 bytes (over maxPayload): close 1009 before the payload',
    send: async (c) => {
      const header = Buffer.from([0x82, 0xff, 0, 0, 0, 0, 0x04, 0, 0, 0x01, 1, 2, 3, 4]);
      await c.write(header);
    },
    expect: [],
    close: { by: 'server', codes: [1009] },
  },
];

const section10: ConformanceCase[] = [
  {
    id: '10.1.1',
    title: '64 KiB text message auto-fragmented into 1300-byte frames',
    send: (c) => c.write(Buffer.concat(fragmentMessage(OP.TEXT, autoFragmented, 1300))),
    expect: [text(autoFragmented)],
    close: { by: 'client' },
  },
];

// One case at a time: several 16 MiB echoes at once would only measure memory pressure.
conformanceSuite('Autobahn 9.x limits and performance', section9, { concurrency: 1, timeoutMs: 30_000 });
conformanceSuite('Autobahn 10.x auto-fragmentation', section10);
