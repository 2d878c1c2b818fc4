// tickstream's own transport: encode once per broadcast (PreparedMessage), then
// sendPrepared() to every connection; writes in one event-loop turn are coalesced.
import http from 'node:http';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { runServer } from './harness.mjs';

// TICKSTREAM_DIST lets a developer point at a private build (tsc --outDir) instead of dist/.
const distRoot = process.env.TICKSTREAM_DIST ? resolve(process.env.TICKSTREAM_DIST) : fileURLToPath(new URL('../../dist', import.meta.url));
const { WebSocketServer, PreparedMessage } = await import(pathToFileURL(join(distRoot, 'src/transport/index.js')).href);

let wss;
let deflate = false;

await runServer({
  name: 'tickstream',
  listen(host, useDeflate) {
    deflate = useDeflate;
    const server = http.createServer();
    wss = new WebSocketServer({ server, deflate: useDeflate, heartbeatIntervalMs: 0 });
    wss.on('connection', (conn) => conn.on('error', () => {}));
    return new Promise((resolve) => server.listen(0, host, () => resolve(server.address().port)));
  },
  clientCount: () => wss.clients.size,
  maxBuffered() {
    let max = 0;
    for (const c of wss.clients) if (c.bufferedAmount > max) max = c.bufferedAmount;
    return max;
  },
  broadcast(text) {
    const pm = PreparedMessage.text(text, { deflate });
    for (const c of wss.clients) c.sendPrepared(pm);
  },
});
