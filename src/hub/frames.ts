import { PreparedMessage } from '../transport/index.js';
import { JSON_COMMA, QUOTES_MESSAGE_HEAD, QUOTES_MESSAGE_TAIL } from './quote-encoder.js';
import type { PreparedFrame } from './types.js';

/**
 * The default frame factory: the transport's PreparedMessage. The deflated variant is only built
 * (once, shared) if some connection that negotiated permessage-deflate asks for it.
 */
export function prepareTextFrame(json: string, deflate: boolean): PreparedFrame {
  return PreparedMessage.text(json, { deflate });
}

/**
 * The frame of a `quotes` message built from quotes already encoded as UTF-8 (QuoteEncoder.quoteBytes):
 * the same bytes as prepareTextFrame(encoder.quotesMessage(quotes)), assembled by copying each quote's
 * bytes once into the frame buffer.
 */
export function prepareQuotesFrame(encodedQuotes: readonly Buffer[], deflate: boolean): PreparedFrame {
  return PreparedMessage.textJoined(QUOTES_MESSAGE_HEAD, encodedQuotes, JSON_COMMA, QUOTES_MESSAGE_TAIL, { deflate });
}
