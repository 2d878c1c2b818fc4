// tickstream/client, browser entry: the client with the platform WebSocket as its socket. Browser-safe:
// nothing here may import node:* or src/transport (bundlers take this file as is).
export { TickstreamClient } from './tickstream-client.js';
export { TickstreamError, type ClientErrorCode } from './errors.js';
export { TypedEmitter, type Listener } from './emitter.js';
export { browserSocket, type BrowserSocketOptions, type PlatformWebSocket, type PlatformWebSocketConstructor } from './browser-socket.js';
export type { ClientSocket, SocketFactory, SocketHandlers, SocketRequest } from './socket.js';
export { sseSocket, withSseFallback, type SseSocketOptions } from './sse-socket.js';
export { backoffDelay, DEFAULT_RECONNECT, type ReconnectOptions } from './backoff.js';
export { classifyFailure, describeFailure, parseRetryAfter, type ConnectFailure, type FailureDecision, type StopCause } from './retry.js';
export { jwtExpiry } from './token.js';
export type { Position } from './quote-state.js';
export type { BarsResult } from './commands.js';
export type {
  ClientErrorEvent,
  ClientState,
  EpochEvent,
  FeedStatusEvent,
  QuotesEvent,
  RefreshedEvent,
  SnapshotEvent,
  StateEvent,
  StopReason,
  SubscribeResult,
  TickstreamClientOptions,
  TickstreamEvents,
} from './types.js';
export type { CommandId, ErrorCode, FeedState, ServerMessage, WireBar, WireQuote } from '../wire/types.js';
export type { BarTimeframe } from '../wire/limits.js';
