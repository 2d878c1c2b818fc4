import type { FeedStatus, SymbolInfo } from '../market/index.js';
import type { StreamQuote, StreamSnapshot } from './stream.js';

/** What a reset changed, so a consumer can tell its clients exactly that. */
export interface ResetOutcome {
  /** The epoch differs from the one held before (false for the very first reset too: see `first`). */
  readonly epochChanged: boolean;
  /** This was the first reset: there was no state before. */
  readonly first: boolean;
  /** Quotes of the snapshot newer than what was held (same epoch), or every quote (new epoch). */
  readonly changed: readonly StreamQuote[];
  readonly added: readonly SymbolInfo[];
  readonly removed: readonly string[];
}

export const INITIAL_STATUS: FeedStatus = Object.freeze({ state: 'down', reason: 'waiting for the feed' });

/**
 * The state of one stream: universe, latest quote per symbol, epoch, offset and feed status. The
 * single source of truth wherever a stream is held: beside the feed (to serve late joiners), in the
 * hub (the quote cache clients are served from), in the REST routes.
 *
 * Symbols are matched case-insensitively on lookup ('aapl' finds 'AAPL') but kept as the feed spells them.
 */
export class StreamState {
  epoch = '';
  offset = 0;
  status: FeedStatus = INITIAL_STATUS;
  private readonly infos = new Map<string, SymbolInfo>();
  private readonly upper = new Map<string, string>();
  private readonly latest = new Map<string, StreamQuote>();
  private initialised = false;

  /** The canonical spelling of a known symbol, or undefined. */
  resolve(raw: string): string | undefined {
    if (this.infos.has(raw)) return raw;
    return this.upper.get(raw.toUpperCase());
  }

  has(symbol: string): boolean {
    return this.infos.has(symbol);
  }

  get size(): number {
    return this.infos.size;
  }

  symbols(): IterableIterator<string> {
    return this.infos.keys();
  }

  universe(): SymbolInfo[] {
    return [...this.infos.values()];
  }

  last(symbol: string): StreamQuote | undefined {
    return this.latest.get(symbol);
  }

  /** Latest quote of every symbol that has one. */
  quotes(): StreamQuote[] {
    return [...this.latest.values()];
  }

  snapshot(): StreamSnapshot {
    return { epoch: this.epoch, offset: this.offset, universe: this.universe(), quotes: this.quotes(), status: this.status };
  }

  /** Adds or re-describes symbols, drops removed ones (and their last values). Returns the really removed. */
  applyUniverse(added: readonly SymbolInfo[], removed: readonly string[] = []): string[] {
    for (const info of added) {
      this.infos.set(info.symbol, info);
      this.upper.set(info.symbol.toUpperCase(), info.symbol);
    }
    const gone: string[] = [];
    for (const symbol of removed) {
      if (!this.infos.delete(symbol)) continue;
      this.latest.delete(symbol);
      if (this.upper.get(symbol.toUpperCase()) === symbol) this.upper.delete(symbol.toUpperCase());
      gone.push(symbol);
    }
    return gone;
  }

  /**
   * Records a quote if it is newer than the one held (seq strictly higher); returns false otherwise.
   * The offset advances with every accepted quote's own offset.
   */
  applyQuote(q: StreamQuote): boolean {
    const prev = this.latest.get(q.symbol);
    if (prev !== undefined && q.seq <= prev.seq) return false;
    this.latest.set(q.symbol, q);
    if (q.offset > this.offset) this.offset = q.offset;
    return true;
  }

  /**
   * Replaces the state with a snapshot. In a new epoch everything is replaced. In the same epoch
   * (a resynchronisation after lost data) only newer quotes are taken, so no symbol's seq ever goes back.
   */
  reset(snapshot: StreamSnapshot): ResetOutcome {
    const first = !this.initialised;
    const epochChanged = !first && snapshot.epoch !== this.epoch;
    this.initialised = true;
    const sameEpoch = !first && !epochChanged;
    const incoming = new Set(snapshot.universe.map((info) => info.symbol));
    const removed = [...this.infos.keys()].filter((symbol) => !incoming.has(symbol));
    const added = snapshot.universe.filter((info) => !this.infos.has(info.symbol));
    this.applyUniverse(snapshot.universe, removed);
    if (!sameEpoch) this.latest.clear();
    const changed: StreamQuote[] = [];
    for (const q of snapshot.quotes) {
      if (!this.infos.has(q.symbol)) continue;
      const prev = this.latest.get(q.symbol);
      if (prev !== undefined && q.seq <= prev.seq) continue;
      this.latest.set(q.symbol, q);
      changed.push(q);
    }
    this.epoch = snapshot.epoch;
    this.offset = sameEpoch ? Math.max(this.offset, snapshot.offset) : snapshot.offset;
    this.status = snapshot.status;
    return { epochChanged, first, changed, added, removed };
  }
}
