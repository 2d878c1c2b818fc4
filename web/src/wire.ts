// Types of the client wire protocol (docs/api.md). JSON text frames only.
// The quote shape is the server's own type (type-only import: nothing of the server is bundled).
import type { Quote } from '../../src/market/quote.js';

export type { Quote };

export type FeedState = 'up' | 'stale' | 'down';
export interface FeedStatus {
  state: FeedState;
  reason?: string;
}

export interface SymbolInfo {
  symbol: string;
  name: string;
  exchange: string;
  currency: string;
  prevClose: number;
  /** The server may add more descriptive strings (e.g. an English name); search looks at all of them. */
  [extra: string]: unknown;
}

export type ServerMessage =
  | {
      type: 'welcome';
      server: string;
      version: string;
      /** Stream epoch: seqs compare only within one epoch. */
      epoch: string;
      feed: FeedStatus;
      interval: number;
      heartbeat: number;
      symbols: string[];
      worker?: number;
    }
  /** A new stream epoch: forget every seq; a snapshot of the subscription follows. */
  | { type: 'epoch'; epoch: string; previous: string }
  | { type: 'status'; feed: FeedState; reason?: string }
  | { type: 'symbols'; added: SymbolInfo[]; removed: string[] }
  | { type: 'snapshot'; id?: number; quotes: Quote[] }
  | { type: 'quotes'; quotes: Quote[] }
  | { type: 'subscriptions'; id?: number; symbols: string[] }
  | { type: 'interval'; id?: number; interval: number }
  | { type: 'heartbeat'; ts: number }
  | { type: 'pong'; id?: number; ts: number }
  | { type: 'error'; id?: number; code: string; message: string; symbols?: string[] };

export type ClientCommand =
  | { type: 'subscribe'; symbols: string[]; id?: number }
  | { type: 'unsubscribe'; symbols: string[]; id?: number }
  | { type: 'interval'; interval: number; id?: number }
  | { type: 'snapshot'; symbols?: string[]; id?: number }
  | { type: 'ping'; id?: number };

/** Cadences offered by the dashboard: 0 = every tick as it happens. */
export const CADENCES = [0, 250, 1000] as const;
