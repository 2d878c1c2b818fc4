import { PreparedMessage } from '../transport/index.js';
import type { PreparedFrame } from './types.js';

/**
 * The default frame factory: the transport's PreparedMessage. The deflated variant is only built
 * (once, shared) if some connection that negotiated permessage-deflate asks for it.
 */
export function prepareTextFrame(json: string, deflate: boolean): PreparedFrame {
  return PreparedMessage.text(json, { deflate });
}
