/**
 * `tickstream serve`: reads the configuration, starts the server, and shuts it down cleanly on
 * SIGINT / SIGTERM (every client gets close 1001, exit code 0, forced exit after 5 s).
 */
import { CloseCode } from '../protocol/constants.js';
import cluster from 'node:cluster';
import { readFileSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { Logger } from 'pino';
import { ClusterWorkerSource } from '../broker/cluster-worker-source.js';
import { DEFAULT_UNIVERSE, FeedSpecError, createFeed, type FeedSettings, type QuoteFeed } from '../market/index.js';
import { hasUpstreamStats } from '../market/upstream/index.js';
import { checkBroker } from './broker-source.js';
import { ClusterPrimary } from './cluster-primary.js';
import { WorkerClusterView } from './cluster-worker.js';
import { ConfigError, loadServeConfig } from './config.js';
import { serveHelp } from './help.js';
import { createLogger } from './logger.js';
import { registerUpstreamMetrics } from './metrics.js';
import { shareInterest } from './interest-sharing.js';
import { SERVE_OPTIONS, type ServeConfig } from './options.js';
import { startServer, type TickstreamServer, type TickstreamServerOptions } from './server.js';

/** Upper bound on a graceful shutdown; the process exits regardless once it passes. */
export const SHUTDOWN_DEADLINE_MS = 5_000;

export const EXIT_USAGE = 2;

export function serveArgsConfig(): ParseArgsConfig['options'] {
  const options: NonNullable<ParseArgsConfig['options']> = {
    config: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  };
  for (const spec of SERVE_OPTIONS) options[spec.flag] = { type: spec.kind === 'boolean' ? 'boolean' : 'string' };
  return options;
}

export async function runServe(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const parsed = parseArgs({
    args: [...argv],
    options: serveArgsConfig(),
    strict: true,
    allowPositionals: true,
    allowNegative: true,
  });
  // The option table is dynamic, so parseArgs cannot infer the value types: they are strings and booleans.
  const values = parsed.values as Record<string, string | boolean | undefined>;
  const positionals = parsed.positionals;
  if (values.help) {
    process.stdout.write(serveHelp());
    return 0;
  }
  if (positionals.length > 0) throw new ConfigError(`unexpected argument "${positionals[0]}"`);
  const configFile = typeof values.config === 'string' ? values.config : env.TICKSTREAM_CONFIG;
  const config = loadServeConfig({
    flags: values,
    env,
    ...(configFile ? { configFile } : {}),
  });
  const serverOptions = toServerOptions(config);
  const logger = createLogger({ level: config.logLevel, format: config.logFormat });
  // Once per server: the primary checks for its workers.
  if (config.broker !== undefined && cluster.isPrimary) await checkBroker(config.broker);
  if (config.workers > 1 && cluster.isPrimary) return runClusterPrimary(config, logger);

  const shutdown = listenForShutdown(logger);
  let server: TickstreamServer;
  let stopSharing: () => Promise<void> = () => Promise.resolve();
  try {
    const stream = await streamOptions(config, logger);
    server = await startServer({ ...serverOptions, ...stream, logger });
    connectFeed(server, stream.feed);
    stopSharing = shareInterest(server, config.broker === undefined ? undefined : { url: config.broker, prefix: config.brokerPrefix }, logger);
  } catch (err) {
    if (err instanceof FeedSpecError) throw new ConfigError(`--feed: ${err.message}`);
    if (err instanceof ConfigError) throw err;
    logger.fatal({ err, host: config.host, port: config.port }, `cannot start: ${(err as Error).message}`);
    return 1;
  }
  exitOnCrash(logger, () => server.close(CloseCode.InternalError, 'internal error'));
  return shutdown.run(async () => {
    await stopSharing();
    await server.close();
  });
}

/** How long a crashing process gives its clients' close handshakes before it exits anyway. */
const CRASH_CLOSE_MS = 2_000;

/**
 * A bug that escapes every handler (an exception in a timer, a rejected promise nobody awaited) is
 * logged as fatal, clients are told with 1011 (internal error) rather than a dropped socket, and the
 * process exits with 1 so that a supervisor restarts it: carrying on in an unknown state is worse.
 */
export function exitOnCrash(logger: Logger, closeAll: () => Promise<void>): void {
  let crashed = false;
  const crash = (kind: string, err: unknown): void => {
    logger.fatal({ err }, kind);
    if (crashed) return;
    crashed = true;
    setTimeout(() => process.exit(1), CRASH_CLOSE_MS).unref();
    closeAll().then(
      () => process.exit(1),
      () => process.exit(1),
    );
  };
  process.on('uncaughtException', (err) => crash('uncaught exception', err));
  process.on('unhandledRejection', (err) => crash('unhandled promise rejection', err));
}

/**
 * Where this process's stream comes from: a broker (an edge), the cluster primary (a worker), or
 * the feed in this process (the default).
 */
async function streamOptions(config: ServeConfig, logger: Logger): Promise<Partial<TickstreamServerOptions>> {
  const worker = cluster.isWorker ? cluster.worker : undefined;
  const clusterOptions: Partial<TickstreamServerOptions> =
    worker === undefined
      ? {}
      : {
          instance: worker.id,
          clusterView: (metrics, hub) =>
            new WorkerClusterView(metrics, () => {
              const stats = hub.stats();
              return {
                worker: worker.id,
                pid: process.pid,
                clients: stats.clients,
                subscriptions: stats.subscriptions,
                slowClients: stats.slowClients,
                ready: hub.sourceHealth.ready,
              };
            }),
        };
  if (config.broker !== undefined) return { ...clusterOptions, broker: { url: config.broker, prefix: config.brokerPrefix } };
  if (worker !== undefined) return { ...clusterOptions, source: new ClusterWorkerSource() };
  return { ...clusterOptions, feed: await buildFeed(config, logger) };
}

/** The feed the configuration names, from the feed registry (errors are usage errors: exit 2). */
export async function buildFeed(config: ServeConfig, logger: Logger): Promise<QuoteFeed> {
  try {
    return await createFeed(config.feed, { settings: feedSettings(config), cwd: process.cwd(), logger: logger.child({ component: 'feed' }) });
  } catch (err) {
    if (err instanceof FeedSpecError) throw new ConfigError(`--feed: ${err.message}`);
    throw err;
  }
}

async function runClusterPrimary(config: ServeConfig, logger: Logger): Promise<number> {
  const feed = config.broker === undefined ? await buildFeed(config, logger) : null;
  const primary = new ClusterPrimary({ workers: config.workers, feed, logger, shutdownDeadlineMs: SHUTDOWN_DEADLINE_MS });
  await primary.start();
  return waitForShutdownSignal(() => primary.stop(), logger);
}

/** Turns the validated configuration into startServer options (reads TLS files; the stream is chosen by streamOptions). */
export function toServerOptions(config: ServeConfig): TickstreamServerOptions {
  const options: TickstreamServerOptions = {
    host: config.host,
    port: config.port,
    intervalMs: config.interval,
    appHeartbeatMs: config.heartbeat,
    pingIntervalMs: config.pingInterval,
    clientMessages: config.clientMessages,
    commandRatePerSec: config.commandRate,
    commandBurst: config.commandBurst,
    deflate: config.deflate,
    maxPayload: config.maxPayload,
    maxConnections: config.maxConnections,
    highWaterMarkBytes: config.highWaterMark,
    hardLimitBytes: config.hardLimit,
    slowCloseAfterMs: config.slowCloseAfter,
    recoveryWindowMs: config.recoveryWindow,
    recoveryMaxQuotes: config.recoveryMaxQuotes,
    maxConnectionsPerIp: config.maxConnectionsPerIp,
    handshakeRatePerSec: config.handshakeRate,
    handshakeBurst: config.handshakeBurst,
    handshakeTimeoutMs: config.handshakeTimeout,
    messageTimeoutMs: config.messageTimeout,
    idleTimeoutMs: config.idleTimeout,
    maxLifetimeMs: config.maxLifetime,
    // The simulator's trading hours (an edge or worker of a simulator market says the same as its feed).
    alwaysOpen: config.feed === 'simulator' && config.alwaysOpen,
  };
  if (config.trustedProxies !== undefined) options.trustedProxies = config.trustedProxies;
  if (config.tlsCert !== undefined && config.tlsKey !== undefined) {
    options.tls = { cert: readPem(config.tlsCert, '--tls-cert'), key: readPem(config.tlsKey, '--tls-key') };
  }
  if (config.authToken !== undefined) options.authToken = config.authToken;
  const jwtKey = jwtKeySource(config);
  if (jwtKey !== undefined) {
    options.jwt = {
      ...jwtKey,
      entitlementClaim: config.authEntitlementClaim,
      maxConnectionsPerUser: config.authMaxConnectionsPerUser,
      ...(config.authJwtIssuer !== undefined ? { issuer: config.authJwtIssuer } : {}),
      ...(config.authJwtAudience !== undefined ? { audience: config.authJwtAudience } : {}),
    };
  }
  if (config.allowedOrigins !== undefined) options.allowedOrigins = config.allowedOrigins;
  if (config.webRoot !== undefined) options.webRoot = config.webRoot;
  return options;
}

/**
 * A feed running in this process that wants it learns which symbols clients subscribe to
 * (interest-driven upstream subscriptions), and an upstream feed's counters join /metrics.
 */
export function connectFeed(server: TickstreamServer, feed: TickstreamServerOptions['feed']): void {
  if (typeof feed !== 'object' || feed === null || !('start' in feed)) return;
  const interest = feed.interest?.bind(feed);
  if (interest !== undefined) server.hub.watchInterest(interest);
  if (hasUpstreamStats(feed)) registerUpstreamMetrics(server.metrics.registry, feed);
}

/** What the simulator (and any feed that honours them) takes from the configuration. */
function feedSettings(config: ServeConfig): FeedSettings {
  if (Array.isArray(config.symbols) && config.feed === 'simulator') {
    const known = new Set(DEFAULT_UNIVERSE.map((s) => s.symbol));
    const unknown = config.symbols.filter((s) => !known.has(s));
    if (unknown.length > 0) throw new ConfigError(`--symbols: not in the default universe: ${unknown.join(', ')}`);
  }
  return {
    ...(config.seed !== undefined ? { seed: config.seed } : {}),
    ...(config.symbols !== undefined ? { symbols: config.symbols } : {}),
    ...(config.ticksPerSecond !== undefined ? { ticksPerSecond: config.ticksPerSecond } : {}),
    alwaysOpen: config.alwaysOpen,
    replaySpeed: config.replaySpeed,
    replayLoop: config.replayLoop,
    ...(config.feedUrl !== undefined ? { feedUrl: config.feedUrl } : {}),
    ...(config.feedSymbols !== undefined ? { feedSymbols: config.feedSymbols } : {}),
    feedStaleAfterMs: config.feedStaleAfter,
  };
}

/** The one JWT key source configured, if any (config.ts has checked there is at most one). */
function jwtKeySource(config: ServeConfig): { secret: string } | { publicKeyPem: string } | { jwksUrl: string } | undefined {
  if (config.authJwtSecret !== undefined) return { secret: config.authJwtSecret };
  if (config.authJwtPublicKey !== undefined) return { publicKeyPem: readPem(config.authJwtPublicKey, '--auth-jwt-public-key').toString('utf8') };
  if (config.authJwksUrl !== undefined) return { jwksUrl: config.authJwksUrl };
  return undefined;
}

function readPem(file: string, origin: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new ConfigError(`${origin}: cannot read ${file}: ${(err as Error).message}`);
  }
}

/**
 * Resolves with the exit code once a signal arrived and the server closed. A second signal, or the
 * deadline, exits at once: an operator pressing Ctrl-C twice wants the process gone.
 */
export function waitForShutdownSignal(close: () => Promise<void>, logger: Logger): Promise<number> {
  return listenForShutdown(logger).run(close);
}

/**
 * Takes SIGINT / SIGTERM from now on. A signal that arrives before `run` (while the server is still
 * starting, after it may already have said "listening") is kept and acted on as soon as `run` is
 * called, instead of killing the process with the signal's default action.
 */
export function listenForShutdown(logger: Logger): { run(close: () => Promise<void>): Promise<number> } {
  let early: NodeJS.Signals | null = null;
  let handle: ((signal: NodeJS.Signals) => void) | null = null;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (handle !== null) handle(signal);
    else early ??= signal;
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    run: (close) =>
      new Promise((resolve) => {
        let shuttingDown = false;
        handle = (signal) => {
          if (shuttingDown) {
            logger.warn({ signal }, 'second signal: exiting now');
            resolve(0);
            return;
          }
          shuttingDown = true;
          logger.info({ signal }, 'signal received, closing');
          const deadline = setTimeout(() => {
            // Exit 1: a forced exit is not a clean one, and what held it is the first thing to look at.
            logger.warn({ deadlineMs: SHUTDOWN_DEADLINE_MS, holding: process.getActiveResourcesInfo() }, 'graceful shutdown took too long: forcing exit');
            resolve(1);
          }, SHUTDOWN_DEADLINE_MS);
          deadline.unref();
          close().then(
            () => resolve(0),
            (err: unknown) => {
              logger.error({ err }, 'error during shutdown');
              resolve(1);
            },
          );
        };
        if (early !== null) handle(early);
      }),
  };
}
