// `tickstream.bin.v1`: a compact binary encoding of the server messages, for clients that offer the
// WebSocket subprotocol `tickstream.bin.v1` (docs/wire-binary.md). No I/O and no Node APIs (no
// Buffer), so the browser pages can bundle the decoder as is.
export {
  BINARY_FORMAT_VERSION,
  BINARY_SUBPROTOCOL,
  MAX_NUM_SCALE,
  MAX_PCT_SCALE,
  MAX_PRICE_SCALE,
  MESSAGE_CODES,
} from './constants.js';
export {
  BinaryQuoteEncoder,
  encodeQuoteBinary,
  encodeServerMessageBinary,
  joinQuotesMessageBinary,
  quotesMessageHeadBinary,
  snapshotMessageHeadBinary,
} from './encode.js';
export { decodeServerMessageBinary, type BinaryFrame } from './decode.js';
export { BinaryDecodeError } from './reader.js';
