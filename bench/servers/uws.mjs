// uWebSockets.js (C++): native pub/sub, one app.publish() per broadcast.
import uWS from '@trufflesuite/uws-js-unofficial';
import { runServer } from './harness.mjs';

const sockets = new Set();
let app;
let compress = false;

await runServer({
  name: 'uws',
  listen(host, deflate) {
    compress = deflate;
    app = uWS.App().ws('/*', {
      compression: deflate ? uWS.SHARED_COMPRESSOR : uWS.DISABLED,
      // Large enough that publish() never silently drops for a slow client: the
      // harness's own high-water mark is what throttles the broadcast loop.
      maxBackpressure: 256 * 1024 * 1024,
      maxPayloadLength: 1 << 20,
      idleTimeout: 0,
      open: (ws) => { ws.subscribe('b'); sockets.add(ws); },
      close: (ws) => { sockets.delete(ws); },
    });
    return new Promise((resolve, reject) => {
      app.listen(host, 0, (token) => (token ? resolve(uWS.us_socket_local_port(token)) : reject(new Error('listen failed'))));
    });
  },
  clientCount: () => sockets.size,
  maxBuffered() {
    let max = 0;
    for (const ws of sockets) { const b = ws.getBufferedAmount(); if (b > max) max = b; }
    return max;
  },
  broadcast(text) {
    app.publish('b', text, false, compress);
  },
});
