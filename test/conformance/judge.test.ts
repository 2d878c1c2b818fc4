/**
 * The judge judged: a scripted raw server that misbehaves in one way per test must make runCase
 * fail, so a green conformance run means the engine behaved, not that the checks are blind.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { deflateRawSync, constants } from 'node:zlib';
import { WEBSOCKET_GUID } from '../../src/protocol/constants.js';
import { pong, runCase, text, type ConformanceCase } from './case-runner.js';
import { closePayload, OP, ServerFrameDecoder, type ServerFrame } from './wire.js';

type Misbehaviour = (socket: Socket, frame: ServerFrame) => void;

/** Unmasked server frame. */
function serverFrame(opcode: number, payload: Buffer, options: { rsv1?: boolean; masked?: boolean } = {}): Buffer {
  const head = Buffer.from([0x80 | (options.rsv1 ? 0x40 : 0) | opcode, (options.masked ? 0x80 : 0) | payload.length]);
  if (!options.masked) return Buffer.concat([head, payload]);
  return Buffer.concat([head, Buffer.alloc(4), payload]); // zero mask key: payload unchanged
}

/** The misbehaving server never answers some things: no need to wait the full 2 s for that. */
const QUICK = { closeBoundMs: 300 };

let behaviour: Misbehaviour = () => {};
let extensionsAnswer = '';

function onConnection(socket: Socket): void {
  let head: Buffer | null = Buffer.alloc(0);
  const decoder = new ServerFrameDecoder(); // unmasks client frames too; its violations are irrelevant here
  const onData = (data: Buffer): void => {
    let chunk: Buffer = data;
    if (head !== null) {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      const key = /sec-websocket-key: *(\S+)/i.exec(head.toString('latin1'))![1];
      const accept = createHash('sha1').update(key + WEBSOCKET_GUID).digest('base64');
      socket.write(
        `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n` +
          (extensionsAnswer ? `Sec-WebSocket-Extensions: ${extensionsAnswer}\r\n` : '') + '\r\n',
      );
      chunk = head.subarray(end + 4);
      head = null;
    }
    for (const frame of decoder.push(chunk)) behaviour(socket, frame);
  };
  socket.on('data', onData);
  socket.on('error', () => {});
}

const echoText = (case_: Partial<ConformanceCase> = {}): ConformanceCase => ({
  id: 'judge',
  title: 'text echo',
  send: (c) => c.sendFrame({ opcode: OP.TEXT, payload: 'hello' }),
  expect: [text('hello')],
  close: { by: 'client' },
  ...case_,
});

/** A well-behaved reply to the client's close: echo the code, then drop TCP. */
function closeProperly(socket: Socket, frame: ServerFrame): void {
  socket.end(serverFrame(OP.CLOSE, frame.payload));
}

describe('conformance judge rejects misbehaving servers', { concurrency: 1 }, () => {
  let server: Server;
  let port = 0;
  before(async () => {
    server = createServer(onConnection);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  test('a well-behaved scripted server passes (control)', { timeout: 5000 }, async () => {
    extensionsAnswer = '';
    behaviour = (socket, frame) => {
      if (frame.opcode === OP.TEXT) socket.write(serverFrame(OP.TEXT, frame.payload));
      if (frame.opcode === OP.CLOSE) closeProperly(socket, frame);
    };
    await runCase(port, echoText(), QUICK);
  });

  test('wrong close code in the answer', { timeout: 5000 }, async () => {
    behaviour = (socket, frame) => {
      if (frame.opcode === OP.TEXT) socket.write(serverFrame(OP.TEXT, frame.payload));
      if (frame.opcode === OP.CLOSE) socket.end(serverFrame(OP.CLOSE, closePayload(1002)));
    };
    await assert.rejects(runCase(port, echoText(), QUICK), /expected close code 1000/);
  });

  test('a frame after the close frame', { timeout: 5000 }, async () => {
    behaviour = (socket, frame) => {
      if (frame.opcode === OP.TEXT) socket.write(serverFrame(OP.TEXT, frame.payload));
      if (frame.opcode === OP.CLOSE) socket.end(Buffer.concat([serverFrame(OP.CLOSE, frame.payload), serverFrame(OP.TEXT, Buffer.from('late'))]));
    };
    await assert.rejects(runCase(port, echoText(), QUICK), /after the close frame/);
  });

  test('TCP left open after the closing handshake', { timeout: 5000 }, async () => {
    behaviour = (socket, frame) => {
      if (frame.opcode === OP.TEXT) socket.write(serverFrame(OP.TEXT, frame.payload));
      if (frame.opcode === OP.CLOSE) socket.write(serverFrame(OP.CLOSE, frame.payload));
    };
    await assert.rejects(runCase(port, echoText(), QUICK), /the server to close TCP/);
  });

  test('masked server frame', { timeout: 5000 }, async () => {
    behaviour = (socket, frame) => {
      if (frame.opcode === OP.TEXT) socket.write(serverFrame(OP.TEXT, frame.payload, { masked: true }));
      if (frame.opcode === OP.CLOSE) closeProperly(socket, frame);
    };
    await assert.rejects(runCase(port, echoText(), QUICK), /server frame is masked/);
  });

  test('pong with a different payload, and a missing protocol-error close', { timeout: 5000 }, async () => {
    behaviour = (socket, frame) => {
      if (frame.opcode === OP.PING) socket.write(serverFrame(OP.PONG, Buffer.from('other')));
      if (frame.opcode === OP.CLOSE) closeProperly(socket, frame);
    };
    await assert.rejects(
      runCase(port, { id: 'judge', title: 'ping', send: (c) => c.sendFrame({ opcode: OP.PING, payload: 'mine' }), expect: [pong('mine')], close: { by: 'client' } }, QUICK),
      /pong payload differs/,
    );
    await assert.rejects(
      runCase(port, { id: 'judge', title: 'rsv', send: (c) => c.sendFrame({ opcode: OP.TEXT, rsv: 2 }), expect: [], close: { by: 'server', codes: [1002] } }, QUICK),
      /a close frame/,
    );
  });

  test('compressed echo using a larger window than negotiated', { timeout: 5000 }, async () => {
    extensionsAnswer = 'permessage-deflate; server_no_context_takeover; server_max_window_bits=9';
    // Random bytes repeated 1000 bytes apart: matches only a window over 512 bytes can express.
    const chunk = Buffer.concat(Array.from({ length: 16 }, (_, i) => createHash('sha512').update(`seed${i}`).digest())).subarray(0, 1000);
    const message = Buffer.concat([chunk, chunk]);
    behaviour = (socket, frame) => {
      if (frame.opcode === OP.TEXT) {
        const compressed = deflateRawSync(message, { windowBits: 15, finishFlush: constants.Z_SYNC_FLUSH });
        const body = compressed.subarray(0, compressed.length - 4);
        assert.ok(body.length >= 126 && body.length < 0x10000);
        const head = Buffer.from([0xc2, 126, body.length >> 8, body.length & 0xff]);
        socket.write(Buffer.concat([head, body]));
      }
      if (frame.opcode === OP.CLOSE) closeProperly(socket, frame);
    };
    try {
      await assert.rejects(
        runCase(port, {
          id: 'judge',
          title: 'deflate',
          extensions: 'permessage-deflate; server_max_window_bits=9',
          send: (c) => c.sendFrame({ opcode: OP.TEXT, payload: 'x' }),
          expect: [{ kind: 'message', binary: true, data: message }],
          close: { by: 'client' },
        }, QUICK),
        /invalid distance too far back/,
      );
    } finally {
      extensionsAnswer = '';
    }
  });
});
