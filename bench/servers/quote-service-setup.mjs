// What the M5 comparison services share (ws-quote-service.mjs, uws-quote-service.mjs): the flags of
// the real CLI (--port --host --symbols N --ticks-per-second N --seed N --interval MS; --log-level is
// accepted and ignored) and the same market simulator, imported from dist/src/market.
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export async function quoteServiceSetup(argv = process.argv.slice(2)) {
  const distRoot = process.env.TICKSTREAM_DIST ? resolve(process.env.TICKSTREAM_DIST) : fileURLToPath(new URL('../../dist', import.meta.url));
  const { MarketSimulator } = await import(pathToFileURL(join(distRoot, 'src/market/index.js')).href);
  const opts = { port: 8765, host: '127.0.0.1', symbols: 500, ticksPerSecond: 10000, seed: 1, interval: 1000 };
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i + 1];
    switch (argv[i]) {
      case '--port': opts.port = Number(v); i++; break;
      case '--host': opts.host = v; i++; break;
      case '--symbols': opts.symbols = Number(v); i++; break;
      case '--ticks-per-second': opts.ticksPerSecond = Number(v); i++; break;
      case '--seed': opts.seed = Number(v); i++; break;
      case '--interval': opts.interval = Number(v); i++; break;
      case '--log-level': i++; break;
      default: throw new Error(`unknown flag ${argv[i]}`);
    }
  }
  const sim = new MarketSimulator({ symbols: opts.symbols, ticksPerSecond: opts.ticksPerSecond, seed: opts.seed });
  return { opts, sim };
}
