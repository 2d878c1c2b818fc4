/**
 * The one table of `tickstream serve` options. Flags, environment variables, config-file keys, the
 * help text and the defaults all come from here, so they cannot drift apart.
 */

/** How a raw option value (flag / env string, or JSON value from the config file) is read. */
export type OptionKind =
  | 'string'
  | 'path' // a file path: relative paths in the config file are resolved against the file's directory
  | 'boolean'
  | 'int'
  | 'bytes' // integer bytes, accepts k / m / g suffixes (1024-based)
  | 'duration' // milliseconds; accepts ms / s / m / h suffixes (30s, 10m, 24h)
  | 'enum'
  | 'list'; // comma-separated strings (or a JSON array in the config file)

export interface OptionSpec {
  /** Key in the config file and in {@link ServeConfig}. */
  readonly key: keyof ServeConfig;
  /** Long flag name without the dashes. */
  readonly flag: string;
  /** Environment variable name. */
  readonly env: string;
  readonly kind: OptionKind;
  readonly min?: number;
  readonly max?: number;
  readonly choices?: readonly string[];
  /** Placeholder shown in the help text. */
  readonly valueName?: string;
  readonly help: string;
}

/** The validated, merged `serve` configuration (flags > env > config file > defaults). */
export interface ServeConfig {
  host: string;
  port: number;
  tlsCert: string | undefined;
  tlsKey: string | undefined;
  /** A feed spec: 'simulator', 'replay:<file>', 'module:<file.js>' or another registered kind. */
  feed: string;
  /** `replay:FILE` playback speed: a number > 0 (10 = ten times as fast as recorded) or 'max'. */
  replaySpeed: number | 'max';
  /** `replay:FILE`: start over at the end of the file (false: play it once, then the feed is down). */
  replayLoop: boolean;
  /** Upstream feeds (finnhub, alpaca, binance): the ws:// or wss:// endpoint instead of the provider's. */
  feedUrl: string | undefined;
  /** Upstream feeds: the provider's symbols to subscribe to (binance without it: what clients ask for). */
  feedSymbols: string[] | undefined;
  /** Upstream feeds: silence (ms) after which the feed is reported stale (twice as long: reconnect). */
  feedStaleAfter: number;
  /** Processes serving the port (node:cluster); 1 = a single process. */
  workers: number;
  /** Redis URL: `serve` becomes an edge reading the stream from it, `ingest` publishes to it. */
  broker: string | undefined;
  /** Key prefix in Redis, so several markets can share one Redis. */
  brokerPrefix: string;
  /** `ingest` only: the port of its /healthz and /metrics. */
  metricsPort: number;
  /** Undefined: the default universe; a number N: a synthetic universe of N; a list: a subset of the default universe. */
  symbols: number | string[] | undefined;
  seed: number | undefined;
  ticksPerSecond: number | undefined;
  /** Simulator: trade around the clock (the demo default) or only in each exchange's hours. */
  alwaysOpen: boolean;
  interval: number;
  heartbeat: number;
  pingInterval: number;
  clientMessages: 'commands' | 'close';
  commandRate: number;
  commandBurst: number;
  maxConnections: number;
  /** WebSocket connections one client address may hold (0 = unlimited). */
  maxConnectionsPerIp: number;
  /** WebSocket handshakes per second one client address may make (token bucket; 0 = unlimited). */
  handshakeRate: number;
  handshakeBurst: number;
  /** Proxies whose X-Forwarded-For is believed (addresses or CIDR blocks). */
  trustedProxies: string[] | undefined;
  /** Time allowed for request headers, the TLS handshake and the WebSocket handshake. */
  handshakeTimeout: number;
  /** Time allowed to finish a frame or message once started (0 = unlimited). */
  messageTimeout: number;
  /** Close clients that sent nothing for this long (0 = never). */
  idleTimeout: number;
  /** Close every connection after this long with 1001, asking it to reconnect (0 = never). */
  maxLifetime: number;
  maxPayload: number;
  deflate: boolean;
  highWaterMark: number;
  hardLimit: number;
  slowCloseAfter: number;
  /** How long a reconnecting client can recover what it missed (`since`). */
  recoveryWindow: number;
  recoveryMaxQuotes: number;
  authToken: string | undefined;
  /** JWT: an HS256 secret, a PEM public key file (RS256/ES256) or a JWKS URL; at most one. */
  authJwtSecret: string | undefined;
  authJwtPublicKey: string | undefined;
  authJwksUrl: string | undefined;
  authJwtIssuer: string | undefined;
  authJwtAudience: string | undefined;
  authEntitlementClaim: string;
  authMaxConnectionsPerUser: number;
  allowedOrigins: string[] | undefined;
  webRoot: string | undefined;
  logLevel: string;
  /** Undefined: pretty when stdout is a TTY, JSON otherwise. */
  logFormat: 'json' | 'pretty' | undefined;
}

export const DEFAULT_PORT = 8765;

export const SERVE_DEFAULTS: ServeConfig = {
  host: '0.0.0.0',
  port: DEFAULT_PORT,
  tlsCert: undefined,
  tlsKey: undefined,
  feed: 'simulator',
  replaySpeed: 1,
  replayLoop: true,
  feedUrl: undefined,
  feedSymbols: undefined,
  feedStaleAfter: 30_000,
  workers: 1,
  broker: undefined,
  brokerPrefix: 'tickstream',
  metricsPort: 9100,
  symbols: undefined,
  seed: undefined,
  ticksPerSecond: undefined,
  alwaysOpen: true,
  interval: 1000,
  heartbeat: 15_000,
  pingInterval: 25_000,
  clientMessages: 'commands',
  commandRate: 50,
  commandBurst: 100,
  maxConnections: 0,
  maxConnectionsPerIp: 1000,
  handshakeRate: 200,
  handshakeBurst: 1000,
  trustedProxies: undefined,
  handshakeTimeout: 10_000,
  messageTimeout: 30_000,
  idleTimeout: 0,
  maxLifetime: 0,
  maxPayload: 1024 * 1024,
  deflate: false,
  highWaterMark: 256 * 1024,
  hardLimit: 4 * 1024 * 1024,
  slowCloseAfter: 10_000,
  recoveryWindow: 60_000,
  recoveryMaxQuotes: 20_000,
  authToken: undefined,
  authJwtSecret: undefined,
  authJwtPublicKey: undefined,
  authJwksUrl: undefined,
  authJwtIssuer: undefined,
  authJwtAudience: undefined,
  authEntitlementClaim: 'symbols',
  authMaxConnectionsPerUser: 0,
  allowedOrigins: undefined,
  webRoot: undefined,
  logLevel: 'info',
  logFormat: undefined,
};

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const HOUR_MS = 3_600_000;

export const SERVE_OPTIONS: readonly OptionSpec[] = [
  { key: 'host', flag: 'host', env: 'TICKSTREAM_HOST', kind: 'string', valueName: 'ADDR', help: 'interface to listen on' },
  { key: 'port', flag: 'port', env: 'TICKSTREAM_PORT', kind: 'int', min: 0, max: 65535, valueName: 'N', help: 'TCP port for HTTP and WebSocket (0 = ephemeral)' },
  { key: 'tlsCert', flag: 'tls-cert', env: 'TICKSTREAM_TLS_CERT', kind: 'path', valueName: 'FILE', help: 'PEM certificate (chain); with --tls-key the port serves https:// and wss://' },
  { key: 'tlsKey', flag: 'tls-key', env: 'TICKSTREAM_TLS_KEY', kind: 'path', valueName: 'FILE', help: 'PEM private key for --tls-cert' },
  { key: 'feed', flag: 'feed', env: 'TICKSTREAM_FEED', kind: 'string', valueName: 'SPEC', help: 'simulator | replay:<file.csv|.ndjson> | module:<feed.js> | finnhub | alpaca[:iex|sip|test] | binance[:ALWAYS,ON] (docs/feeds.md; ignored by an edge with --broker)' },
  { key: 'replaySpeed', flag: 'replay-speed', env: 'TICKSTREAM_REPLAY_SPEED', kind: 'string', valueName: 'N|max', help: 'replay:FILE playback speed: 1 = as recorded, 10 = ten times as fast, max = as fast as the server takes the records' },
  { key: 'replayLoop', flag: 'replay-loop', env: 'TICKSTREAM_REPLAY_LOOP', kind: 'boolean', help: 'replay:FILE starts over at the end of the file (--no-replay-loop: play it once, then the feed is down)' },
  { key: 'feedUrl', flag: 'feed-url', env: 'TICKSTREAM_FEED_URL', kind: 'string', valueName: 'URL', help: 'finnhub, alpaca, binance: the ws:// or wss:// endpoint to use instead of the provider\'s (a proxy, a sandbox, a test server); never a key in it: keys come from FINNHUB_TOKEN, APCA_API_KEY_ID / APCA_API_SECRET_KEY' },
  { key: 'feedSymbols', flag: 'feed-symbols', env: 'TICKSTREAM_FEED_SYMBOLS', kind: 'list', valueName: 'LIST', help: 'finnhub, alpaca, binance: the provider symbols to subscribe to (AAPL,MSFT or BTCUSDT,ETHUSDT); binance without it subscribes to what clients ask for' },
  { key: 'feedStaleAfter', flag: 'feed-stale-after', env: 'TICKSTREAM_FEED_STALE_AFTER', kind: 'duration', min: 100, max: HOUR_MS, valueName: 'DURATION', help: 'finnhub, alpaca, binance: report the feed stale after this long without any message from the provider (twice as long: reconnect)' },
  { key: 'workers', flag: 'workers', env: 'TICKSTREAM_WORKERS', kind: 'int', min: 1, max: 256, valueName: 'N|auto', help: 'processes sharing the port (node:cluster), one feed for all; auto = one per core' },
  { key: 'broker', flag: 'broker', env: 'TICKSTREAM_BROKER', kind: 'string', valueName: 'URL', help: 'redis://[user:pass@]host:port[/db]: serve reads the stream from Redis (an edge), ingest publishes to it' },
  { key: 'brokerPrefix', flag: 'broker-prefix', env: 'TICKSTREAM_BROKER_PREFIX', kind: 'string', valueName: 'NAME', help: 'Redis key prefix, so several markets can share one Redis' },
  { key: 'metricsPort', flag: 'metrics-port', env: 'TICKSTREAM_METRICS_PORT', kind: 'int', min: 0, max: 65535, valueName: 'N', help: 'ingest only: port of its /healthz and /metrics' },
  { key: 'symbols', flag: 'symbols', env: 'TICKSTREAM_SYMBOLS', kind: 'string', valueName: 'N|LIST', help: 'N for a synthetic universe of N symbols, or a comma list restricting the default universe' },
  { key: 'seed', flag: 'seed', env: 'TICKSTREAM_SEED', kind: 'int', min: 0, max: 2 ** 32 - 1, valueName: 'N', help: 'simulator random seed for a reproducible market (default: random)' },
  { key: 'ticksPerSecond', flag: 'ticks-per-second', env: 'TICKSTREAM_TICKS_PER_SECOND', kind: 'int', min: 1, max: 1_000_000, valueName: 'N', help: 'simulator tick rate over the whole universe (default 200)' },
  { key: 'alwaysOpen', flag: 'always-open', env: 'TICKSTREAM_ALWAYS_OPEN', kind: 'boolean', help: 'simulator trades around the clock (--no-always-open: only in each exchange\'s hours, US 09:30-16:00 New York, A-shares 09:30-11:30 and 13:00-15:00 Shanghai)' },
  { key: 'interval', flag: 'interval', env: 'TICKSTREAM_INTERVAL', kind: 'int', min: 0, max: 60_000, valueName: 'MS', help: 'default push interval for clients that do not choose one (0 = every tick)' },
  { key: 'heartbeat', flag: 'heartbeat', env: 'TICKSTREAM_HEARTBEAT', kind: 'int', min: 0, max: HOUR_MS, valueName: 'MS', help: 'application {"type":"heartbeat"} message cadence (0 = off)' },
  { key: 'pingInterval', flag: 'ping-interval', env: 'TICKSTREAM_PING_INTERVAL', kind: 'int', min: 0, max: HOUR_MS, valueName: 'MS', help: 'protocol ping cadence; a peer that has not answered by the next ping is dropped (0 = off)' },
  { key: 'clientMessages', flag: 'client-messages', env: 'TICKSTREAM_CLIENT_MESSAGES', kind: 'enum', choices: ['commands', 'close'], valueName: 'MODE', help: 'commands: accept subscribe/... ; close: read-only feed, any client message closes with 1008' },
  { key: 'commandRate', flag: 'command-rate', env: 'TICKSTREAM_COMMAND_RATE', kind: 'int', min: 0, max: 1_000_000, valueName: 'N', help: 'client messages per second per connection (token bucket; a command naming many symbols costs one more per 100); excess gets one rate_limited error, then is dropped; 100 refused in a row close with 1008 (0 = no limit)' },
  { key: 'commandBurst', flag: 'command-burst', env: 'TICKSTREAM_COMMAND_BURST', kind: 'int', min: 1, max: 1_000_000, valueName: 'N', help: 'client messages a connection may send at once before --command-rate applies' },
  { key: 'maxConnections', flag: 'max-connections', env: 'TICKSTREAM_MAX_CONNECTIONS', kind: 'int', min: 0, max: 10_000_000, valueName: 'N', help: 'refuse further WebSocket upgrades with 503 (0 = unlimited)' },
  { key: 'maxConnectionsPerIp', flag: 'max-connections-per-ip', env: 'TICKSTREAM_MAX_CONNECTIONS_PER_IP', kind: 'int', min: 0, max: 10_000_000, valueName: 'N', help: 'WebSocket connections one client address may hold; more get 429 with Retry-After (0 = unlimited)' },
  { key: 'handshakeRate', flag: 'handshake-rate', env: 'TICKSTREAM_HANDSHAKE_RATE', kind: 'int', min: 0, max: 10_000_000, valueName: 'N', help: 'WebSocket handshakes per second per client address (token bucket); excess gets 429 with Retry-After (0 = unlimited)' },
  { key: 'handshakeBurst', flag: 'handshake-burst', env: 'TICKSTREAM_HANDSHAKE_BURST', kind: 'int', min: 1, max: 10_000_000, valueName: 'N', help: 'handshakes one client address may make at once before --handshake-rate applies' },
  { key: 'trustedProxies', flag: 'trusted-proxies', env: 'TICKSTREAM_TRUSTED_PROXIES', kind: 'list', valueName: 'LIST', help: 'comma list of proxy addresses or CIDR blocks whose X-Forwarded-For names the client (default: none, X-Forwarded-For is ignored)' },
  { key: 'handshakeTimeout', flag: 'handshake-timeout', env: 'TICKSTREAM_HANDSHAKE_TIMEOUT', kind: 'duration', min: 100, max: HOUR_MS, valueName: 'DURATION', help: 'time allowed for the TLS handshake, the request headers and the WebSocket handshake' },
  { key: 'messageTimeout', flag: 'message-timeout', env: 'TICKSTREAM_MESSAGE_TIMEOUT', kind: 'duration', min: 0, max: HOUR_MS, valueName: 'DURATION', help: 'a client that starts a frame or message must finish it within this time (1008 otherwise; 0 = no limit)' },
  { key: 'idleTimeout', flag: 'idle-timeout', env: 'TICKSTREAM_IDLE_TIMEOUT', kind: 'duration', min: 0, max: 30 * 24 * HOUR_MS, valueName: 'DURATION', help: 'close (1001) clients that sent nothing, not even a pong, for this long (0 = never)' },
  { key: 'maxLifetime', flag: 'max-lifetime', env: 'TICKSTREAM_MAX_LIFETIME', kind: 'duration', min: 0, max: 365 * 24 * HOUR_MS, valueName: 'DURATION', help: 'close every connection after this long with 1001 "connection lifetime reached; reconnect", e.g. 24h (0 = never)' },
  { key: 'maxPayload', flag: 'max-payload', env: 'TICKSTREAM_MAX_PAYLOAD', kind: 'bytes', min: 125, max: 2 ** 30, valueName: 'BYTES', help: 'largest client message accepted (close 1009 above)' },
  { key: 'deflate', flag: 'deflate', env: 'TICKSTREAM_DEFLATE', kind: 'boolean', help: 'offer permessage-deflate compression (--no-deflate to turn off)' },
  { key: 'highWaterMark', flag: 'high-water-mark', env: 'TICKSTREAM_HIGH_WATER_MARK', kind: 'bytes', min: 1024, max: 2 ** 30, valueName: 'BYTES', help: 'per-client send buffer above which a client gets no new frames and its updates are conflated (latest value per symbol)' },
  { key: 'hardLimit', flag: 'hard-limit', env: 'TICKSTREAM_HARD_LIMIT', kind: 'bytes', min: 1024, max: 2 ** 31, valueName: 'BYTES', help: 'per-client send buffer at which a slow client is closed at once (1008 "slow consumer")' },
  { key: 'slowCloseAfter', flag: 'slow-close-after', env: 'TICKSTREAM_SLOW_CLOSE_AFTER', kind: 'int', min: 0, max: HOUR_MS, valueName: 'MS', help: 'a client still conflating, or whose unread output kept us from reading it, after this long is closed (1008 "slow consumer")' },
  { key: 'recoveryWindow', flag: 'recovery-window', env: 'TICKSTREAM_RECOVERY_WINDOW', kind: 'duration', min: 0, max: 24 * HOUR_MS, valueName: 'DURATION', help: 'a client reconnecting with ?since=EPOCH:OFFSET within this long gets exactly what it missed (0 = no recovery)' },
  { key: 'recoveryMaxQuotes', flag: 'recovery-max-quotes', env: 'TICKSTREAM_RECOVERY_MAX_QUOTES', kind: 'int', min: 0, max: 100_000_000, valueName: 'N', help: 'most quotes kept for recovery, whatever their age: the memory bound (about 0.75 KiB per quote)' },
  { key: 'authToken', flag: 'auth-token', env: 'TICKSTREAM_AUTH_TOKEN', kind: 'string', valueName: 'TOKEN', help: 'require ?token=TOKEN or "Authorization: Bearer TOKEN" on WebSocket upgrades (401 otherwise)' },
  { key: 'authJwtSecret', flag: 'auth-jwt-secret', env: 'TICKSTREAM_AUTH_JWT_SECRET', kind: 'string', valueName: 'SECRET', help: 'require a JWT signed with this HS256 secret (32+ bytes; prefer the env var: a flag shows in ps)' },
  { key: 'authJwtPublicKey', flag: 'auth-jwt-public-key', env: 'TICKSTREAM_AUTH_JWT_PUBLIC_KEY', kind: 'path', valueName: 'FILE', help: 'require a JWT signed by this PEM public key (RSA: RS256, EC P-256: ES256)' },
  { key: 'authJwksUrl', flag: 'auth-jwks-url', env: 'TICKSTREAM_AUTH_JWKS_URL', kind: 'string', valueName: 'URL', help: 'require a JWT signed by a key of this JWKS endpoint (RS256/ES256; fetched and cached)' },
  { key: 'authJwtIssuer', flag: 'auth-jwt-issuer', env: 'TICKSTREAM_AUTH_JWT_ISSUER', kind: 'string', valueName: 'ISS', help: 'JWT: require this iss claim' },
  { key: 'authJwtAudience', flag: 'auth-jwt-audience', env: 'TICKSTREAM_AUTH_JWT_AUDIENCE', kind: 'string', valueName: 'AUD', help: 'JWT: require this aud claim' },
  { key: 'authEntitlementClaim', flag: 'auth-entitlement-claim', env: 'TICKSTREAM_AUTH_ENTITLEMENT_CLAIM', kind: 'string', valueName: 'NAME', help: 'JWT claim listing the symbols or patterns (AAPL, *.SH) the user may receive; absent claim = every symbol' },
  { key: 'authMaxConnectionsPerUser', flag: 'auth-max-connections-per-user', env: 'TICKSTREAM_AUTH_MAX_CONNECTIONS_PER_USER', kind: 'int', min: 0, max: 1_000_000, valueName: 'N', help: 'JWT: connections one user (sub) may hold; more get 429 (0 = unlimited)' },
  { key: 'allowedOrigins', flag: 'allowed-origins', env: 'TICKSTREAM_ALLOWED_ORIGINS', kind: 'list', valueName: 'LIST', help: 'comma list of browser Origins allowed to connect (403 otherwise)' },
  { key: 'webRoot', flag: 'web-root', env: 'TICKSTREAM_WEB_ROOT', kind: 'path', valueName: 'DIR', help: 'directory of the built web pages (default <package>/dist/web)' },
  { key: 'logLevel', flag: 'log-level', env: 'TICKSTREAM_LOG_LEVEL', kind: 'enum', choices: LOG_LEVELS, valueName: 'LEVEL', help: 'fatal|error|warn|info|debug|trace|silent' },
  { key: 'logFormat', flag: 'log-format', env: 'TICKSTREAM_LOG_FORMAT', kind: 'enum', choices: ['json', 'pretty'], valueName: 'FMT', help: 'json | pretty (default: pretty on a TTY, json otherwise)' },
];
