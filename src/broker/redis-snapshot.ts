import { BrokerCodecError, decodeEntry, type BrokerEntry, type StoredState } from './redis-codec.js';
import type { StreamQuote, StreamSnapshot } from './stream.js';

/** Stream entries as ioredis returns them (XRANGE, XREVRANGE, one stream of XREAD). */
export type StreamItems = [id: string, fields: string[]][];

/**
 * An edge's snapshot (design: redis-publisher.ts). The state keys hold `last` complete up to
 * meta.lastOffset only (the publisher writes it at intervals); the quotes of (lastOffset, offset] are
 * in the stream. Fed the newest entries first (XREVRANGE, page after page), it keeps those back to
 * lastOffset, then replays them in stream order on top of `last`, so the snapshot is the one at
 * meta.offset: the state the stream continues from.
 *
 *   const replay = new SnapshotReplay(state);
 *   while (!replay.add(await olderPage())) ...;   // add() true: reached back to lastOffset
 *   const snapshot = replay.snapshot();          // throws if the entries have a gap
 */
export class SnapshotReplay {
  /** Entries read (of every kind and epoch, malformed ones included). */
  entriesRead = 0;
  /** Entries that failed to decode (a gap they leave is caught by snapshot()). */
  malformed = 0;
  /** Quotes of the stream applied on top of `last` (those of (lastOffset, offset]). */
  replayed = 0;
  /** Id of the oldest entry read: where the next (older) page starts. */
  oldestId: string | null = null;
  private readonly state: StoredState;
  /** Entries of the state's epoch that the replay needs, newest first. */
  private readonly entries: BrokerEntry[] = [];
  private reached: boolean;

  constructor(state: StoredState) {
    this.state = state;
    this.reached = state.lastOffset === state.offset;
  }

  /** The entries reach back to lastOffset: nothing older is needed. */
  get complete(): boolean {
    return this.reached;
  }

  /** Takes a page of entries, newest first, older than those before; true once they reach back to lastOffset. */
  add(items: StreamItems): boolean {
    const { epoch, offset, lastOffset } = this.state;
    for (const [id, fields] of items) {
      this.oldestId = id;
      this.entriesRead++;
      if (this.reached) continue;
      let entry: BrokerEntry;
      try {
        entry = decodeEntry(fields);
      } catch (err) {
        if (!(err instanceof BrokerCodecError)) throw err;
        this.malformed++;
        continue;
      }
      // Another epoch's entries (an older one before our reset entry, a second ingest writing) and
      // entries beyond meta (written by something else) are not part of the state.
      if (entry.epoch !== epoch || entry.offset > offset) continue;
      this.entries.push(entry);
      // Everything older than a batch starting at lastOffset + 1 or before, or than another entry
      // written at lastOffset or before (a reset is always one), is in `last` already.
      if (entry.kind === 'batch' ? entry.offset <= lastOffset + 1 : entry.offset <= lastOffset) this.reached = true;
    }
    return this.reached;
  }

  /** The snapshot at meta.offset; throws BrokerCodecError if the quotes of (lastOffset, offset] are not all there. */
  snapshot(): StreamSnapshot {
    const { epoch, offset, lastOffset, universe, status } = this.state;
    if (!this.reached) throw new BrokerCodecError(`the stream does not reach back to offset ${lastOffset + 1} (trimmed)`);
    const latest = new Map<string, StreamQuote>();
    for (const q of this.state.quotes) latest.set(q.symbol, q);
    let next = lastOffset + 1;
    for (let i = this.entries.length - 1; i >= 0; i--) {
      const entry = this.entries[i]!;
      if (entry.kind === 'universe') {
        // `last` lost removed symbols when the entry was written; quotes before it in the window go too.
        // (Quotes of a symbol re-added later follow the entry, so an entry older than lastOffset removes nothing.)
        if (entry.offset >= lastOffset) for (const symbol of entry.removed) latest.delete(symbol);
        continue;
      }
      if (entry.kind !== 'batch') continue;
      for (const q of entry.quotes) {
        if (q.offset < next) continue; // in `last` already, or read twice
        if (q.offset > offset) break;
        if (q.offset > next) throw new BrokerCodecError(`the stream lacks offsets ${next}..${q.offset - 1} of the snapshot`);
        next++;
        // As StreamState: only a newer quote replaces (`last` may already hold a newer one).
        const held = latest.get(q.symbol);
        if (held === undefined || q.seq > held.seq) latest.set(q.symbol, q);
      }
    }
    if (next !== offset + 1) throw new BrokerCodecError(`the stream lacks offsets ${next}..${offset} of the snapshot`);
    this.replayed = offset - lastOffset;
    return { epoch, offset, universe, quotes: [...latest.values()], status };
  }
}
