// Baseline: the `ws` package used the way its README shows a broadcast:
// one send() per client per message (each send frames the message again).
import http from 'node:http';
import { WebSocketServer, WebSocket } from 'ws';
import { runServer } from './harness.mjs';

let wss;

await runServer({
  name: 'ws',
  listen(host, deflate) {
    const server = http.createServer();
    // ws defaults: permessage-deflate off on the server; when on, ws compresses per
    // client (with context takeover) and only messages >= 1024 bytes.
    wss = new WebSocketServer({ server, perMessageDeflate: deflate, clientTracking: true });
    wss.on('connection', (ws) => ws.on('error', () => {}));
    return new Promise((resolve) => server.listen(0, host, () => resolve(server.address().port)));
  },
  clientCount: () => wss.clients.size,
  maxBuffered() {
    let max = 0;
    for (const c of wss.clients) if (c.bufferedAmount > max) max = c.bufferedAmount;
    return max;
  },
  broadcast(text) {
    for (const c of wss.clients) if (c.readyState === WebSocket.OPEN) c.send(text);
  },
});
