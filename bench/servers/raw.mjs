// The bound: node:net with a minimal hand-written handshake, and every broadcast
// burst framed ONCE into a single Buffer that is written to every socket. No
// library in Node can do less work per delivery, so this is the ceiling.
import net from 'node:net';
import { createHash } from 'node:crypto';
import { deflateRawSync, constants as zc } from 'node:zlib';
import { runServer } from './harness.mjs';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const sockets = new Set();
let useDeflate = false;

function frameHeader(len, rsv1) {
  const b0 = 0x80 | (rsv1 ? 0x40 : 0) | 0x1;
  if (len < 126) return Buffer.from([b0, len]);
  if (len < 65536) return Buffer.from([b0, 126, len >> 8, len & 255]);
  const h = Buffer.alloc(10);
  h[0] = b0; h[1] = 127; h.writeBigUInt64BE(BigInt(len), 2);
  return h;
}

function frame(text) {
  let body = Buffer.from(text);
  if (useDeflate) {
    // server_no_context_takeover: every message is compressed on its own, once.
    const d = deflateRawSync(body, { finishFlush: zc.Z_SYNC_FLUSH });
    body = d.subarray(0, d.length - 4); // RFC 7692 7.2.1: drop the 00 00 ff ff tail
  }
  return Buffer.concat([frameHeader(body.length, useDeflate), body]);
}

function onConnection(sock) {
  sock.setNoDelay(true);
  sock.on('error', () => {});
  let head = '';
  function onData(chunk) {
    head += chunk.toString('latin1');
    const end = head.indexOf('\r\n\r\n');
    if (end < 0) { if (head.length > 8192) sock.destroy(); return; }
    sock.off('data', onData);
    const key = /^sec-websocket-key:\s*(\S+)/im.exec(head)?.[1];
    if (!key) { sock.end('HTTP/1.1 400 Bad Request\r\n\r\n'); return; }
    const accept = createHash('sha1').update(key + GUID).digest('base64');
    const ext = useDeflate && /^sec-websocket-extensions:.*permessage-deflate/im.test(head)
      ? 'Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; client_no_context_takeover\r\n'
      : '';
    sock.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n${ext}\r\n`);
    sockets.add(sock);
    sock.on('data', () => {}); // the generator sends nothing we need to parse
    sock.on('close', () => sockets.delete(sock));
  }
  sock.on('data', onData);
}

await runServer({
  name: 'raw',
  listen(host, deflate) {
    useDeflate = deflate;
    const server = net.createServer(onConnection);
    return new Promise((resolve) => server.listen(0, host, () => resolve(server.address().port)));
  },
  clientCount: () => sockets.size,
  maxBuffered() {
    let max = 0;
    for (const s of sockets) if (s.writableLength > max) max = s.writableLength;
    return max;
  },
  broadcast(text) {
    const f = frame(text);
    for (const s of sockets) s.write(f);
  },
  broadcastBurst(texts) {
    const f = texts.length === 1 ? frame(texts[0]) : Buffer.concat(texts.map(frame));
    for (const s of sockets) s.write(f);
  },
});
