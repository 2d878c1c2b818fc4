// tickstream/client, Node entry: everything of the browser entry, with tickstream's own Node
// WebSocket client as the default socket (it sees HTTP refusals, so a 401 stops and a 503 waits
// for its Retry-After; the token goes in Authorization: Bearer instead of the URL).
import { nodeSocket } from './node-socket.js';
import type { SocketFactory } from './socket.js';
import { TickstreamClient as PortableClient } from './tickstream-client.js';

export * from './index.js';
export { nodeSocket, type NodeSocketOptions } from './node-socket.js';

export class TickstreamClient extends PortableClient {
  protected override defaultSocket(): SocketFactory {
    return nodeSocket();
  }
}
