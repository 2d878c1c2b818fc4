// The wire protocol (docs/api.md): types, limits, the command parser, message builders and the
// decoder. No I/O and no Node APIs, so the browser pages bundle it as is.
export type {
  ClientCommandMessage,
  CommandId,
  ErrorCode,
  FeedState,
  ServerMessage,
  ServerMessageType,
  WelcomeMessage,
  WireBar,
  WireFeedStatus,
  WireQuote,
  WireSymbolInfo,
} from './types.js';
export {
  ALL_SYMBOLS,
  BAR_LIMIT_RULE,
  BAR_TIMEFRAMES,
  BAR_TIMEFRAME_MS,
  BAR_TIMEFRAME_RULE,
  DEFAULT_BAR_LIMIT,
  MAX_BAR_LIMIT,
  isBarTimeframe,
  type BarTimeframe,
  INTERVAL_RULE,
  MAX_INTERVAL_MS,
  MAX_SYMBOL_LENGTH,
  MAX_TOKEN_LENGTH,
  MIN_INTERVAL_MS,
  TOKEN_EXPIRED_CLOSE_CODE,
  TOKEN_EXPIRED_REASON,
  isValidInterval,
} from './limits.js';
export { isBarLimit, parseCommand, type ClientCommand, type CommandError } from './commands.js';
export {
  barsMessage,
  type BarsFields,
  epochMessage,
  errorMessage,
  heartbeatMessage,
  intervalMessage,
  pongMessage,
  refreshedMessage,
  statusMessage,
  subscriptionsMessage,
  symbolsMessage,
  welcomeMessage,
  type WelcomeFields,
} from './messages.js';
export { idField, quoteJsonPrefix, quoteToJson } from './quote-json.js';
export { decodeServerMessage } from './decode.js';
export {
  BINARY_SUBPROTOCOL,
  BinaryDecodeError,
  BinaryQuoteEncoder,
  decodeServerMessageBinary,
  encodeServerMessageBinary,
  joinQuotesMessageBinary,
  type BinaryFrame,
} from './binary/index.js';
