import type { StreamQuote } from '../broker/stream.js';
import type { CommandBudget } from './command-budget.js';
import type { DeliveryGroup } from './delivery-groups.js';
import type { SessionAuth } from './session-auth.js';
import type { HubConnection } from './types.js';

/** One attached connection: what it subscribed to, at which cadence, and its slow-consumer state. */
export class Session {
  readonly conn: HubConnection;
  /** Subscribed to every symbol ('*'); `symbols` is then empty. */
  all = false;
  /** Explicit subscription (replaced, never mutated, so groups may keep a reference). */
  symbols: ReadonlySet<string> = new Set();
  intervalMs: number;
  /** The frame-sharing group this session currently belongs to. */
  group: DeliveryGroup | null = null;
  /**
   * Set when the session joined a timed group whose pending batch it has already seen (through its
   * snapshot or earlier pushes): symbol → seq it holds. Cleared at that group's next flush.
   */
  skip: Map<string, number> | null = null;
  /** Non-null while conflating (slow consumer): latest undelivered quote per symbol. */
  conflated: Map<string, StreamQuote> | null = null;
  /** When conflation began (ms since epoch). */
  slowSince = 0;
  /** When the hub asked the connection to close (0 = not yet): stragglers get terminated. */
  closeRequestedAt = 0;
  /** The connection emitted 'close'. */
  closed = false;
  /** Its command rate limit (null: unlimited). */
  budget: CommandBudget | null = null;
  /** Messages go out in the binary encoding (the client negotiated tickstream.bin.v1). */
  binary = false;
  /** Who it is and what it may receive (null: the server does no token authentication). */
  auth: SessionAuth | null = null;

  constructor(conn: HubConnection, intervalMs: number) {
    this.conn = conn;
    this.intervalMs = intervalMs;
  }

  wants(symbol: string): boolean {
    return this.all || this.symbols.has(symbol);
  }

  /** The subscription as reported on the wire. */
  subscriptionList(): string[] {
    return this.all ? ['*'] : [...this.symbols];
  }

  /** Needs its own frame instead of the group's shared one. */
  get needsPersonalFrame(): boolean {
    return this.skip !== null || this.conflated !== null;
  }
}
