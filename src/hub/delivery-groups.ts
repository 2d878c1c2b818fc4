import type { StreamQuote } from '../broker/stream.js';
import type { Session } from './session.js';

/**
 * Sessions with the same cadence and the same subscription set. They receive identical frames, so
 * each frame is encoded once per group and the same PreparedMessage is written to every member.
 */
export class DeliveryGroup {
  readonly key: string;
  readonly intervalMs: number;
  readonly all: boolean;
  readonly symbols: ReadonlySet<string>;
  /** Its members speak the binary encoding (tickstream.bin.v1) instead of JSON. */
  readonly binary: boolean;
  readonly sessions = new Set<Session>();
  /** Interval 0: ticks of the feed batch being processed, in order. */
  readonly batch: StreamQuote[] = [];
  /** Interval 0: the same ticks encoded (JSON UTF-8 or binary, as the group speaks), parallel to `batch`. */
  readonly batchBytes: Uint8Array[] = [];
  /** Interval N: latest quote per symbol changed since the last push (conflation by symbol). */
  readonly latest = new Map<string, StreamQuote>();

  constructor(key: string, intervalMs: number, all: boolean, symbols: ReadonlySet<string>, binary: boolean) {
    this.key = key;
    this.intervalMs = intervalMs;
    this.all = all;
    this.symbols = symbols;
    this.binary = binary;
  }
}

/** Identity of a (cadence, subscription set, encoding) triple. */
export function groupKey(intervalMs: number, all: boolean, symbols: ReadonlySet<string>, binary = false): string {
  const head = (binary ? 'b' : '') + intervalMs;
  if (all) return head + '|*';
  return head + '|' + [...symbols].sort().join(',');
}

/**
 * The topic index: which groups want a symbol. '*' groups are kept apart (they want everything),
 * explicit groups are listed under each of their symbols.
 */
export class DeliveryGroups {
  private readonly byKey = new Map<string, DeliveryGroup>();
  readonly wildcard = new Set<DeliveryGroup>();
  private readonly topics = new Map<string, Set<DeliveryGroup>>();
  /** Told when a symbol gets its first explicit group or loses its last: the union of subscriptions changed. */
  onTopicsChanged: (() => void) | null = null;

  get size(): number {
    return this.byKey.size;
  }

  values(): IterableIterator<DeliveryGroup> {
    return this.byKey.values();
  }

  /** Every symbol some explicit group subscribes to (the union of the explicit subscriptions). */
  topicSymbols(): IterableIterator<string> {
    return this.topics.keys();
  }

  /** Explicit groups subscribed to `symbol` (undefined if none). */
  topic(symbol: string): ReadonlySet<DeliveryGroup> | undefined {
    return this.topics.get(symbol);
  }

  /** Puts the session in the group matching its subscription; `created` tells whether it is new. */
  join(session: Session): { group: DeliveryGroup; created: boolean } {
    const key = groupKey(session.intervalMs, session.all, session.symbols, session.binary);
    let group = this.byKey.get(key);
    let created = false;
    if (group === undefined) {
      group = new DeliveryGroup(key, session.intervalMs, session.all, session.symbols, session.binary);
      this.byKey.set(key, group);
      this.index(group);
      created = true;
    }
    group.sessions.add(session);
    session.group = group;
    return { group, created };
  }

  /** Removes the session from its group; returns the group if it became empty (and was dropped). */
  leave(session: Session): DeliveryGroup | null {
    const group = session.group;
    if (group === null) return null;
    session.group = null;
    group.sessions.delete(session);
    if (group.sessions.size > 0) return null;
    this.byKey.delete(group.key);
    this.unindex(group);
    return group;
  }

  private index(group: DeliveryGroup): void {
    if (group.all) {
      this.wildcard.add(group);
      return;
    }
    let changed = false;
    for (const symbol of group.symbols) {
      let set = this.topics.get(symbol);
      if (set === undefined) {
        this.topics.set(symbol, (set = new Set()));
        changed = true;
      }
      set.add(group);
    }
    if (changed) this.onTopicsChanged?.();
  }

  private unindex(group: DeliveryGroup): void {
    if (group.all) {
      this.wildcard.delete(group);
      return;
    }
    let changed = false;
    for (const symbol of group.symbols) {
      const set = this.topics.get(symbol);
      if (set === undefined) continue;
      set.delete(group);
      if (set.size === 0) {
        this.topics.delete(symbol);
        changed = true;
      }
    }
    if (changed) this.onTopicsChanged?.();
  }
}
