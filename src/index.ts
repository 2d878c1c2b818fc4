// Package entry: the public API of every layer, for programs that embed tickstream.
// (The CLI lives in app/cli.ts and is not imported here: importing the package has no side effects.)
export * from './transport/index.js';
export * from './market/index.js';
export * from './hub/index.js';
export { CloseCode, Opcode, WEBSOCKET_GUID, type CloseCodeValue } from './protocol/constants.js';
export { ProtocolError } from './protocol/errors.js';

export { startServer, type TickstreamServer, type TickstreamServerOptions } from './app/server.js';
export { ServerMetrics, METRIC_NAMES, type ServerMetricsOptions, type SlowConsumerEvent } from './app/metrics.js';
export { loadServeConfig, ConfigError, type ConfigSources } from './app/config.js';
export { SERVE_OPTIONS, SERVE_DEFAULTS, DEFAULT_PORT, type ServeConfig, type OptionSpec } from './app/options.js';
export { toServerOptions } from './app/serve-command.js';
export { createLogger, type LoggerOptions, type LogFormat } from './app/logger.js';
export { QuoteWatcher, watchUrl, DEFAULT_WATCH_URL, type WatchOptions, type WatchOutput } from './app/watch.js';
export { renderTable, reconnectDelay, displayWidth, type WatchRow, type RenderOptions } from './app/watch-render.js';
export { PACKAGE_VERSION } from './app/package-info.js';
