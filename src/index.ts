// Package entry: the public API of every layer, for programs that embed tickstream.
// (The CLI lives in app/cli.ts and is not imported here: importing the package has no side effects.)
export * from './transport/index.js';
export * from './market/index.js';
export * from './hub/index.js';
export { CloseCode, Opcode, WEBSOCKET_GUID, type CloseCodeValue } from './protocol/constants.js';
export { ProtocolError } from './protocol/errors.js';

export { startServer, type TickstreamServer, type TickstreamServerOptions } from './app/server.js';
export { ServerMetrics, METRIC_NAMES, type ServerMetricsOptions, type SlowConsumerEvent } from './app/metrics.js';
// What an embedder configures the way the CLI does (the same option table and config files); the
// CLI's own plumbing (option specs, the serve command, the watcher's table renderer) stays private.
export { loadServeConfig, ConfigError, type ConfigSources } from './app/config.js';
export { SERVE_DEFAULTS, DEFAULT_PORT, type ServeConfig } from './app/options.js';
export { createLogger, type LoggerOptions, type LogFormat } from './app/logger.js';
export { QuoteWatcher, watchUrl, DEFAULT_WATCH_URL, type WatchOptions, type WatchOutput } from './app/watch.js';
export { PACKAGE_VERSION } from './app/package-info.js';
