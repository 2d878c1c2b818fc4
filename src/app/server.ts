/**
 * `startServer`: wires feed → hub → WebSocket transport and the HTTP routes onto ONE port
 * (http:// + ws://, or https:// + wss:// with a certificate), as the article describes:
 * the WebSocket handshake is an HTTP request on the same port as the pages and the API.
 */
import { CloseCode } from '../protocol/constants.js';
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { FeedStream } from '../broker/feed-stream.js';
import type { StreamSource } from '../broker/stream.js';
import { QuoteHub, redactUrl, type CommandPolicy, type HubOptions } from '../hub/index.js';
import { createFeed, type FeedSpec, type QuoteFeed } from '../market/index.js';
import type { WebSocketConnection } from '../transport/index.js';
import { createBrokerSource } from './broker-source.js';
import { HUB_FRAMES } from './hub-frames.js';
import { createLogger, silentLogger } from './logger.js';
import { JwtGate, type JwtGateOptions } from './jwt-gate.js';
import { ServerMetrics } from './metrics.js';
import { DEFAULT_WEB_ROOT, PACKAGE_VERSION } from './package-info.js';
import { createRequestHandler, type ClusterView, type QuoteAccess } from './routes.js';
import { StaticFiles } from './static-files.js';
import { createClientAdmission, requestUrl } from './client-admission.js';
import { createSseEndpoint } from './sse-endpoint.js';
import { createWebSocketEndpoint, defined } from './websocket-endpoint.js';

export interface TickstreamServerOptions {
  /** Interface to listen on. Default '0.0.0.0' (all IPv4 interfaces). */
  host?: string;
  /** Default 8765 (the article's port); 0 = ephemeral. */
  port?: number;
  /** PEM certificate and key: the port then serves https:// and wss://. */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /**
   * The feed, run in this process: a feed object (`new MarketSimulator(...)`, your own QuoteFeed), a
   * spec string as on the command line (`'replay:ticks.ndjson'`, `'module:./feed.js'`) or an object
   * spec. Default: the simulator with a random seed over the default universe. Ignored with `source`.
   */
  feed?: QuoteFeed | FeedSpec | string;
  /**
   * Where the stream comes from when it is not a feed in this process: a cluster primary
   * (ClusterWorkerSource) or a broker (RedisStreamSource). The server stops it on close.
   */
  source?: StreamSource;
  /**
   * Read the stream from a broker instead of running a feed here (an edge): `url` is
   * redis://[user:pass@]host:port[/db], `prefix` the market's key prefix (default 'tickstream').
   */
  broker?: { url: string; prefix?: string };
  /**
   * The market trades around the clock, whatever the exchange calendars say (the demo simulator's
   * default), so GET /api/markets reports every market open. Default: true when the feed is the
   * default simulator (no feed, source or broker given, or the 'simulator' spec), false otherwise.
   */
  alwaysOpen?: boolean;
  /** Reported as `worker` in welcome and /healthz (the cluster worker id). */
  instance?: number;
  /** Checked before every client command (rate limits, entitlements). */
  commandPolicy?: CommandPolicy;
  /** In a cluster worker: the whole server's figures for /healthz and /metrics (see cluster-worker.ts). */
  clusterView?: (metrics: ServerMetrics, hub: QuoteHub) => ClusterView & { close(): void };
  /** Push interval for clients that do not choose one. Default 1000 ms. */
  intervalMs?: number;
  /** `{"type":"heartbeat"}` cadence. Default 15 000 ms; 0 = off. */
  appHeartbeatMs?: number;
  /** Protocol ping cadence. Default 25 000 ms; 0 = off. */
  pingIntervalMs?: number;
  clientMessages?: 'commands' | 'close';
  /** Client messages per second per connection (token bucket). Default 50; 0 = no limit. */
  commandRatePerSec?: number;
  /** Messages a client may send at once before the rate applies. Default 100. */
  commandBurst?: number;
  deflate?: boolean;
  maxPayload?: number;
  maxConnections?: number;
  /** WebSocket connections per client address (429 beyond). Default 1000; 0 = unlimited. */
  maxConnectionsPerIp?: number;
  /** WebSocket handshakes per second per client address (429 beyond). Default 200; 0 = unlimited. */
  handshakeRatePerSec?: number;
  /** Handshakes per address at once before the rate applies. Default 1000. */
  handshakeBurst?: number;
  /** Proxies (addresses or CIDR blocks) whose X-Forwarded-For names the client. Default: none. */
  trustedProxies?: readonly string[];
  /** Time allowed for the TLS handshake, the request headers and the WebSocket handshake. Default 10 000 ms. */
  handshakeTimeoutMs?: number;
  /** A started frame or message must be finished within this time (1008 otherwise). Default 30 000 ms; 0 = off. */
  messageTimeoutMs?: number;
  /** Close (1001) clients that sent nothing for this long. Default 0 = off. */
  idleTimeoutMs?: number;
  /** Close (1001) connections older than this, asking them to reconnect. Default 0 = off. */
  maxLifetimeMs?: number;
  highWaterMarkBytes?: number;
  hardLimitBytes?: number;
  slowCloseAfterMs?: number;
  /** How long (ms) and how many quotes a client reconnecting with `since` can recover. Default 60 s, 20 000. */
  recoveryWindowMs?: number;
  recoveryMaxQuotes?: number;
  /** Directory of the built web pages. Default `<package>/dist/web`. */
  webRoot?: string;
  /** A pino logger, or false for none. Default: JSON lines on stdout at level info. */
  logger?: Logger | false;
  /** Require `?token=` or `Authorization: Bearer` on WebSocket upgrades (401 otherwise). */
  authToken?: string;
  /** Refuse WebSocket upgrades from browser Origins not in this list (403). */
  allowedOrigins?: string[];
  /**
   * JWT authentication (docs/auth.md): one key source (an HS256 secret, a PEM public key, or a JWKS
   * URL), optional issuer/audience, the entitlement claim, and a per-user connection cap.
   */
  jwt?: JwtGateOptions;
}

export interface TickstreamServer {
  readonly port: number;
  /** `http(s)://127.0.0.1:port` (or the specific host it was bound to). */
  readonly url: string;
  /** `ws(s)://127.0.0.1:port/`. */
  readonly wsUrl: string;
  readonly hub: QuoteHub;
  readonly metrics: ServerMetrics;
  readonly logger: Logger;
  /** Open WebSocket connections (server side), e.g. to inspect their send buffers. */
  readonly clients: ReadonlySet<WebSocketConnection>;
  /**
   * Stops accepting, closes every client (1001 "server shutting down" by default; 1011 after an
   * internal error), stops the feed, closes the HTTP server. Idempotent: the first call's code wins.
   */
  close(code?: number, reason?: string): Promise<void>;
}

/** Time allowed for the TLS handshake, request headers and the WebSocket handshake. */
const HANDSHAKE_TIMEOUT_MS = 10_000;

export async function startServer(options: TickstreamServerOptions = {}): Promise<TickstreamServer> {
  const logger = options.logger === false ? silentLogger() : (options.logger ?? createLogger());
  const defaultIntervalMs = options.intervalMs ?? 1000;
  let hub: QuoteHub | undefined;
  const metrics = new ServerMetrics({
    hubStats: () => hub?.stats() ?? { subscriptions: 0 },
    stream: () => ({ ready: hub?.sourceHealth.ready ?? false, offset: hub?.cache.offset ?? 0 }),
  });
  const source =
    options.source ??
    (options.broker !== undefined
      ? createBrokerSource(options.broker.url, options.broker.prefix, logger, metrics)
      : await feedSource(options.feed, logger));
  const gate = options.jwt === undefined ? undefined : await JwtGate.create(options.jwt);
  if (gate !== undefined) logger.info({ keySource: gate.verifier.keySource, algorithms: gate.verifier.algorithms }, 'JWT authentication on');
  hub = new QuoteHub(source, hubOptions(options, gate), metrics, logger.child({ component: 'hub' }));
  const liveHub = hub;
  const clusterView = options.clusterView?.(metrics, liveHub);

  const routes = createRequestHandler({
    hub: liveHub,
    metrics,
    staticFiles: new StaticFiles(options.webRoot ?? DEFAULT_WEB_ROOT),
    version: PACKAGE_VERSION,
    sourceName: source.name,
    instance: options.instance,
    ...(clusterView !== undefined ? { cluster: clusterView } : {}),
    startedAt: Date.now(),
    onError: (err, req) => logger.error({ err, url: redactUrl(req.url ?? '') }, 'request failed'),
    ...(gate !== undefined ? { quoteAccess: restQuoteAccess(gate) } : {}),
    history: liveHub,
    alwaysOpen: options.alwaysOpen ?? defaultAlwaysOpen(options),
  });
  const admission = createClientAdmission({ metrics, logger, options, gate, defaultIntervalMs });
  const sse = createSseEndpoint({ hub: liveHub, metrics, logger, options, admission, gate });
  // SSE first (its own paths, long-lived responses), then the ordinary routes.
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    if (!sse.handle(req, res, requestUrl(req))) routes(req, res);
  };
  const handshakeTimeoutMs = options.handshakeTimeoutMs ?? HANDSHAKE_TIMEOUT_MS;
  // Slowloris guards: request headers and the TLS handshake each get handshakeTimeoutMs, checked
  // every second (Node's default check runs every 30 s, which would let a header trickle live 40 s).
  const httpOptions = { headersTimeout: handshakeTimeoutMs, connectionsCheckingInterval: Math.min(1000, handshakeTimeoutMs) };
  const server: HttpServer | HttpsServer = options.tls
    ? createHttpsServer({ ...httpOptions, cert: options.tls.cert, key: options.tls.key, handshakeTimeout: handshakeTimeoutMs }, handler)
    : createHttpServer(httpOptions, handler);
  const wss = createWebSocketEndpoint({ server, hub: liveHub, metrics, logger, options, gate, admission, handshakeTimeoutMs });

  try {
    await liveHub.start();
    await listen(server, options.port ?? 8765, options.host ?? '0.0.0.0');
  } catch (err) {
    await liveHub.stop();
    throw err;
  }

  const address = server.address() as AddressInfo;
  const scheme = options.tls ? 'https' : 'http';
  const hostForUrl = urlHost(address.address);
  const url = `${scheme}://${hostForUrl}:${address.port}`;
  const wsUrl = `${options.tls ? 'wss' : 'ws'}://${hostForUrl}:${address.port}/`;
  logger.info({ url, wsUrl, port: address.port, source: source.name, epoch: liveHub.cache.epoch }, 'listening');

  let closing: Promise<void> | undefined;
  const close = (code: number = CloseCode.GoingAway, reason = 'server shutting down'): Promise<void> => {
    closing ??= (async () => {
      logger.info({ clients: wss.clients.size, code }, 'shutting down');
      const httpClosed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      clusterView?.close();
      await liveHub.stop();
      sse.close(code, reason);
      await wss.close(code, reason);
      server.closeAllConnections();
      await httpClosed;
      logger.info('stopped');
    })();
    return closing;
  };

  return { port: address.port, url, wsUrl, hub: liveHub, metrics, logger, clients: wss.clients, close };
}

function hubOptions(options: TickstreamServerOptions, gate: JwtGate | undefined): HubOptions {
  return {
    ...defined({
      defaultIntervalMs: options.intervalMs,
      appHeartbeatMs: options.appHeartbeatMs,
      highWaterMarkBytes: options.highWaterMarkBytes,
      hardLimitBytes: options.hardLimitBytes,
      slowCloseAfterMs: options.slowCloseAfterMs,
      recoveryWindowMs: options.recoveryWindowMs,
      recoveryMaxQuotes: options.recoveryMaxQuotes,
      clientMessages: options.clientMessages,
      commandRatePerSec: options.commandRatePerSec,
      commandBurst: options.commandBurst,
      deflate: options.deflate,
      serverVersion: PACKAGE_VERSION,
      instance: options.instance,
      commandPolicy: options.commandPolicy,
      verifyToken: gate?.verifyForRefresh,
    }),
    frames: HUB_FRAMES,
  };
}

/** The REST quote snapshot under JWT auth: the same token, the same entitlements as a subscription. */
function restQuoteAccess(gate: JwtGate): QuoteAccess {
  return async (req, url) => {
    const verdict = await gate.admit(req.headers, url, false);
    if (!verdict.ok) return { status: verdict.status, message: verdict.message, headers: verdict.headers };
    const entitlements = verdict.principal.entitlements;
    return { all: entitlements.all, allows: (symbol: string) => entitlements.allows(symbol) };
  };
}

/** The in-process stream: the given feed (or the default simulator) with a fresh epoch. */
async function feedSource(feed: TickstreamServerOptions['feed'], logger: Logger): Promise<StreamSource> {
  const quoteFeed = isQuoteFeed(feed) ? feed : await createFeed(feed ?? { kind: 'simulator' }, { logger: logger.child({ component: 'feed' }) });
  // The hub keeps the bars; the head of a single-process stream has no other consumer to keep them for.
  return new FeedStream(quoteFeed, { logger: logger.child({ component: 'stream' }), history: false });
}

function defaultAlwaysOpen(options: TickstreamServerOptions): boolean {
  if (options.source !== undefined || options.broker !== undefined) return false;
  const feed = options.feed;
  if (feed === undefined || feed === 'simulator') return true;
  return typeof feed === 'object' && 'kind' in feed && feed.kind === 'simulator' && feed.alwaysOpen !== false;
}

function isQuoteFeed(value: unknown): value is QuoteFeed {
  return typeof value === 'object' && value !== null && typeof (value as QuoteFeed).start === 'function';
}

function listen(server: HttpServer | HttpsServer, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/** The address clients should use: loopback for wildcard binds, brackets for IPv6. */
function urlHost(address: string): string {
  if (address === '0.0.0.0' || address === '::') return '127.0.0.1';
  return address.includes(':') ? `[${address}]` : address;
}
