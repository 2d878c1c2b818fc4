// The sans-I/O WebSocket engine (RFC 6455 + RFC 7692): bytes in -> events, frames out -> bytes.
// No sockets, timers or clocks: usable under any I/O layer. See docs/protocol.md.
export * from './constants.js';
export * from './errors.js';
export * from './mask.js';
export * from './utf8.js';
export * from './close.js';
export * from './frame-encoder.js';
export * from './frame-parser.js';
export * from './accept-key.js';
export * from './header-values.js';
export * from './http-head.js';
export * from './handshake-server.js';
export * from './handshake-client.js';
export * from './permessage-deflate.js';
export * from './deflate-codec.js';
