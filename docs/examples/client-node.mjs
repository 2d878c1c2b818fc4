// The tickstream client SDK in Node: print every AAPL and MSFT tick, reconnecting (and recovering what
// was missed) whenever the connection drops. From an installed package, import from 'tickstream/client';
// here, from this repository's build (npm run build). Run it with
//   TICKSTREAM_URL=ws://localhost:8765/ws node docs/examples/client-node.mjs
// TICKSTREAM_TOKEN sends a token; TICKSTREAM_LIMIT=N stops after N ticks.
import { TickstreamClient } from '../../dist/src/client/node.js';

const limit = Number(process.env.TICKSTREAM_LIMIT ?? Infinity);
const client = new TickstreamClient({
  url: process.env.TICKSTREAM_URL ?? 'ws://localhost:8765/ws',
  symbols: ['AAPL', 'MSFT'],
  interval: 0, // every tick; the client checks that none is missing
  token: process.env.TICKSTREAM_TOKEN,
});

let ticks = 0;
client.on('state', ({ state, reason }) => console.error(`[${state}]${reason ? ' ' + reason : ''}`));
client.on('snapshot', ({ quotes, cause }) => console.log(`snapshot (${cause}): ${quotes.map((q) => `${q.symbol} ${q.last}`).join(', ')}`));
client.on('quotes', ({ quotes, recovered }) => {
  for (const q of quotes) {
    console.log(`${q.symbol.padEnd(6)} ${q.last.toFixed(2).padStart(9)} seq=${q.seq}${recovered ? ' (recovered)' : ''}`);
    if (++ticks === limit) {
      console.log(`done: ${ticks} ticks, last AAPL ${client.last('AAPL')?.last}`);
      client.stop();
      return;
    }
  }
});
client.on('error', (e) => console.error(`error ${e.code}: ${e.message}`));
client.start();

// Ctrl-C: close the connection properly.
process.once('SIGINT', () => client.stop());
