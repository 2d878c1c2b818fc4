import { JSON_COMMA, QUOTES_MESSAGE_HEAD, quotesMessageTail, type HubFrames } from '../hub/index.js';
import { joinQuotesMessageBinary } from '../wire/index.js';
import { PreparedMessage } from '../transport/index.js';

/**
 * The hub's frames, built by the transport's PreparedMessage: each message is framed once (and
 * deflated once, only if some connection negotiated permessage-deflate) and written to many sockets.
 * The app wires this in so the hub never imports the transport.
 */
export const HUB_FRAMES: HubFrames = {
  text: (json, deflate) => PreparedMessage.text(json, { deflate }),
  // A `quotes` message assembled by copying each quote's UTF-8 bytes once into the frame buffer.
  quotes: (encodedQuotes, deflate, offset) =>
    PreparedMessage.textJoined(QUOTES_MESSAGE_HEAD, encodedQuotes, JSON_COMMA, quotesMessageTail(offset), { deflate }),
  binary: (bytes, deflate) => PreparedMessage.binary(asBuffer(bytes), { deflate }),
  binaryQuotes: (encodedQuotes, deflate, offset) => PreparedMessage.binary(asBuffer(joinQuotesMessageBinary(encodedQuotes, offset)), { deflate }),
};

/** A Buffer view of the codec's bytes (no copy). */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
