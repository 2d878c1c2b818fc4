/**
 * `tickstream ingest --feed SPEC --broker redis://...`: runs ONE feed and publishes its stream to
 * Redis, where any number of edges (`tickstream serve --broker ...`) read it. Serves /healthz,
 * /readyz and /metrics on its own small port (--metrics-port, default 9100). No clients connect here.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { FeedStream } from '../broker/feed-stream.js';
import { RedisBarsWriter } from '../broker/redis-bars.js';
import { checkBroker, createBrokerPublisher, type BrokerPublisher } from './broker-source.js';
import { ConfigError, loadServeConfig } from './config.js';
import { ingestHelp } from './help.js';
import { createLogger } from './logger.js';
import { registerUpstreamMetrics } from './metrics.js';
import { hasUpstreamStats } from '../market/upstream/index.js';
import { sendJson, sendReadiness } from './routes.js';
import { buildFeed, exitOnCrash, serveArgsConfig, waitForShutdownSignal } from './serve-command.js';
import { followEdgeInterest } from './interest-sharing.js';

export async function runIngest(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const parsed = parseArgs({ args: [...argv], options: serveArgsConfig(), strict: true, allowPositionals: true, allowNegative: true });
  const values = parsed.values as Record<string, string | boolean | undefined>;
  if (values.help) {
    process.stdout.write(ingestHelp());
    return 0;
  }
  if (parsed.positionals.length > 0) throw new ConfigError(`unexpected argument "${parsed.positionals[0]}"`);
  const configFile = typeof values.config === 'string' ? values.config : env.TICKSTREAM_CONFIG;
  const config = loadServeConfig({ flags: values, env, ...(configFile ? { configFile } : {}) });
  if (config.broker === undefined) throw new ConfigError('ingest needs --broker redis://HOST:PORT[/DB] (or TICKSTREAM_BROKER)');
  const logger = createLogger({ level: config.logLevel, format: config.logFormat });

  await checkBroker(config.broker);
  const feed = await buildFeed(config, logger);
  // An interest-driven feed subscribes upstream to what the clients of every edge want.
  const stopFollowing = followEdgeInterest(feed, { url: config.broker, prefix: config.brokerPrefix }, logger);
  const stream = new FeedStream(feed, { logger: logger.child({ component: 'stream' }) });
  const publisher = createBrokerPublisher(config.broker, config.brokerPrefix, () => stream.state.snapshot(false), logger);
  // The day's bars go to Redis beside the stream, so an edge started later has the charts too.
  const bars = new RedisBarsWriter({ url: config.broker, prefix: config.brokerPrefix, state: () => stream.state, logger: logger.child({ component: 'bars' }) });
  bars.start();
  // The feed first, then its history saved, then the publisher started and the stream published:
  // the first state of this epoch that an edge reads is complete (universe, quotes, status) and the
  // bars of the day are already there.
  await stream.run();
  await bars.waitReady();
  await bars.flush();
  await publisher.start();
  stream.addSink(publisher);

  const registry = ingestMetrics(stream, publisher);
  if (hasUpstreamStats(feed)) registerUpstreamMetrics(registry, feed);
  const http = createServer((req, res) => {
    route(req, res, stream, publisher, registry).catch((err: unknown) => {
      logger.error({ err }, 'request failed');
      if (!res.headersSent) sendJson(res, 500, { error: 'internal_error' });
    });
  });
  try {
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(config.metricsPort, config.host, () => resolve());
    });
  } catch (err) {
    logger.fatal({ err, port: config.metricsPort }, `cannot listen: ${(err as Error).message}`);
    await stream.stop();
    await bars.stop();
    await publisher.stop();
    return 1;
  }
  const port = (http.address() as AddressInfo).port;
  logger.info({ port, epoch: stream.epoch, feed: feed.name, broker: publisher.describe() }, 'ingest running');

  exitOnCrash(logger, () => publisher.stop());
  return waitForShutdownSignal(async () => {
    // Edges tell their clients at once, instead of noticing the silence 3 s later.
    publisher.status({ state: 'down', reason: 'ingest stopped' });
    await stopFollowing();
    await stream.stop();
    await bars.stop();
    await publisher.stop();
    http.closeAllConnections();
    await new Promise<void>((resolve) => http.close(() => resolve()));
    logger.info('stopped');
  }, logger);
}

async function route(
  req: IncomingMessage,
  res: ServerResponse,
  stream: FeedStream,
  publisher: BrokerPublisher,
  registry: Registry,
): Promise<void> {
  const path = (req.url ?? '/').split('?')[0];
  const health = publisher.health();
  const state = stream.state;
  if (path === '/healthz') {
    sendJson(res, health.ready ? 200 : 503, {
      status: health.ready ? 'ok' : 'unavailable',
      ...(health.reason !== undefined ? { reason: health.reason } : {}),
      role: 'ingest',
      broker: publisher.describe(),
      epoch: state.epoch,
      offset: state.offset,
      feed: state.status,
      symbols: state.size,
      ...(health.details !== undefined ? { brokerDetails: health.details } : {}),
    });
  } else if (path === '/readyz') {
    sendReadiness(res, health, req);
  } else if (path === '/metrics') {
    const text = await registry.metrics();
    res.writeHead(200, { 'Content-Type': registry.contentType, 'Cache-Control': 'no-store' });
    res.end(text);
  } else {
    sendJson(res, 404, { error: 'not_found', message: 'ingest serves /healthz, /readyz and /metrics' });
  }
}

function ingestMetrics(stream: FeedStream, publisher: BrokerPublisher): Registry {
  const registry = new Registry();
  const registers = [registry];
  let offsetSeen = 0;
  new Counter({
    name: 'tickstream_feed_ticks_total',
    help: 'Quotes the feed produced (stream offsets handed out)',
    registers,
    collect() {
      this.inc(stream.state.offset - offsetSeen);
      offsetSeen = stream.state.offset;
    },
  });
  new Gauge({
    name: 'tickstream_broker_connected',
    help: '1 while the broker is reachable and caught up',
    registers,
    collect() {
      this.set(publisher.health().ready ? 1 : 0);
    },
  });
  for (const [name, help, read] of [
    ['tickstream_broker_published_quotes_total', 'Quotes written to the broker', () => publisher.counters().quotes],
    ['tickstream_broker_published_batches_total', 'Batches (stream entries) written to the broker', () => publisher.counters().batches],
    ['tickstream_broker_reconnects_total', 'Times the broker connection was re-established', () => publisher.counters().reconnects],
    ['tickstream_broker_republishes_total', 'Times the whole state was written again (the broker had lost it)', () => publisher.counters().republishes],
  ] as const) {
    let seen = 0;
    new Counter({
      name,
      help,
      registers,
      collect() {
        const now = read();
        this.inc(Math.max(0, now - seen));
        seen = now;
      },
    });
  }
  collectDefaultMetrics({ register: registry });
  return registry;
}
