import type { WorkerHealth } from './routes.js';

/**
 * Messages between cluster workers and the primary about the server as a whole (the stream itself
 * travels as broker/cluster-messages.ts). Over node:cluster's own IPC channel.
 */
export type ControlMessage =
  | { readonly tickstreamControl: 'stats?'; readonly id: number }
  | { readonly tickstreamControl: 'stats'; readonly id: number; readonly stats: WorkerHealth }
  | { readonly tickstreamControl: 'workers?'; readonly id: number }
  | { readonly tickstreamControl: 'workers'; readonly id: number; readonly workers: readonly WorkerHealth[] }
  | { readonly tickstreamControl: 'metrics?'; readonly id: number }
  | { readonly tickstreamControl: 'metrics'; readonly id: number; readonly text: string; readonly error?: string };

export function isControlMessage(value: unknown): value is ControlMessage {
  return typeof value === 'object' && value !== null && typeof (value as { tickstreamControl?: unknown }).tickstreamControl === 'string';
}
