/** RFC 6455 section 1.3: appended to Sec-WebSocket-Key before hashing (the article's step 3). */
export const WEBSOCKET_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** RFC 6455 section 5.2 opcodes. */
export const Opcode = {
  Continuation: 0x0,
  Text: 0x1,
  Binary: 0x2,
  Close: 0x8,
  Ping: 0x9,
  Pong: 0xa,
} as const;
export type OpcodeValue = (typeof Opcode)[keyof typeof Opcode];

/** RFC 6455 section 7.4.1 status codes the engine itself produces or interprets. */
export const CloseCode = {
  Normal: 1000,
  GoingAway: 1001,
  ProtocolError: 1002,
  UnsupportedData: 1003,
  NoStatus: 1005, // never sent on the wire: "close frame had no payload"
  Abnormal: 1006, // never sent on the wire: "connection dropped without a close frame"
  InvalidPayload: 1007,
  PolicyViolation: 1008,
  MessageTooBig: 1009,
  MandatoryExtension: 1010,
  InternalError: 1011,
  ServiceRestart: 1012,
  TryAgainLater: 1013,
  BadGateway: 1014,
} as const;
export type CloseCodeValue = (typeof CloseCode)[keyof typeof CloseCode];

/** Close reasons the server's own limits send, so clients (and tests) can tell them apart. */
export const CloseReason = {
  /** The peer's outbound queue passed the hard limit, or stayed above the high-water mark too long (1008). */
  SlowConsumer: 'slow consumer',
  /** A frame or fragmented message was started and not finished in time (1008). */
  MessageTimeout: 'message not completed in time',
  /** The connection reached its maximum lifetime (1001): reconnect. */
  MaxLifetime: 'connection lifetime reached; reconnect',
  /** Nothing received for the idle timeout (1001). */
  IdleTimeout: 'idle timeout',
} as const;

/** Which end of the connection the engine plays: it decides the masking rules (section 5.1). */
export type Role = 'server' | 'client';

/** Defaults for every bound the engine enforces; documented in docs/protocol.md. */
export const Defaults = {
  /** Largest message (after decompression) accepted from a peer. */
  maxPayload: 1024 * 1024,
  /** Largest number of frames a fragmented message may use. */
  maxFragments: 10_000,
  /** Largest HTTP upgrade header block, in bytes. */
  maxHeaderBytes: 8 * 1024,
  /** Largest number of header lines in an upgrade request or response. */
  maxHeaderCount: 100,
  /** Time allowed for the opening handshake. */
  handshakeTimeoutMs: 10_000,
  /** Time to wait for the peer's close frame / TCP FIN after we sent close. */
  closeTimeoutMs: 5_000,
} as const;
