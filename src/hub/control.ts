import { encodeServerMessageBinary, type ServerMessage } from '../wire/index.js';
import type { Session } from './session.js';
import type { HubMetrics } from './types.js';

/**
 * Control messages (welcome, acks, snapshots, errors, epoch and status notices) go to one client and
 * bypass conflation: they answer the client or tell it something about the stream itself.
 */
export class ControlSender {
  private readonly metrics: HubMetrics | undefined;

  constructor(metrics: HubMetrics | undefined) {
    this.metrics = metrics;
  }

  /**
   * One control message. Binary sessions get it re-encoded from the JSON: control messages are rare
   * (one per command or event), so building them once as JSON keeps one builder per message.
   */
  send(session: Session, json: string): void {
    if (session.binary) {
      const bytes = encodeServerMessageBinary(JSON.parse(json) as ServerMessage);
      session.conn.send(bytes);
      this.metrics?.messagesSent(1, bytes.byteLength);
      return;
    }
    session.conn.send(json);
    this.metrics?.messagesSent(1, Buffer.byteLength(json));
  }
}
