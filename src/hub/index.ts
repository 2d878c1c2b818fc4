// Public API of the hub layer (docs/api.md describes the wire protocol it serves).
export { QuoteHub, HUB_DEFAULTS } from './hub.js';
export { READ_ONLY_REASON, RATE_LIMIT_REASON } from './session-commands.js';
export { parseConnectParams, parseSince, type ConnectParams, type ConnectDefaults, type StreamPosition } from './connect-params.js';
export { SLOW_CONSUMER_REASON } from './slow-consumers.js';
export { redactUrl } from './redact.js';
export { QuoteEncoder, QUOTES_MESSAGE_HEAD, quotesMessageTail, JSON_COMMA } from './quote-encoder.js';
export type {
  AttachOptions,
  ClientMessagePolicy,
  CommandPolicy,
  FrameFactory,
  HubConnection,
  HubFrames,
  HubLogger,
  HubMetrics,
  HubOptions,
  HubStats,
  PreparedFrame,
} from './types.js';
export { TokenRefusal, type SessionAuth, type TokenVerifier, type TokenRefusalCode } from './session-auth.js';
