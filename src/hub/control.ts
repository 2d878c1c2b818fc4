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

  send(session: Session, json: string): void {
    session.conn.send(json);
    this.metrics?.messagesSent(1, Buffer.byteLength(json));
  }
}
