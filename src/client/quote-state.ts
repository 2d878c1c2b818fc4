/**
 * The quotes a client holds, and the rules that keep them exact: per-symbol seqs only go up within an
 * epoch, at interval 0 they go up by exactly one (every feed through tickstream numbers each symbol's
 * ticks 1, 2, 3...), and the resume point (epoch:offset) only moves when the state is complete up to it.
 */
import type { WireQuote } from '../wire/types.js';

export interface Position {
  epoch: string;
  offset: number;
}

/** A seq that skipped ahead at interval 0: the ticks in between were lost on the way. */
export interface Gap {
  symbol: string;
  held: number;
  got: number;
}

export type UpdateOutcome =
  /** `applied`: the quotes taken, in order; seqs that went down or repeated are left out. */
  | { ok: true; applied: WireQuote[] }
  /** Nothing was applied: the message must be fetched again (recovery from the current position). */
  | { ok: false; gap: Gap };

export class QuoteState {
  private readonly latest = new Map<string, WireQuote>();
  private currentEpoch: string | undefined;
  private resumeAt: Position | undefined;

  get epoch(): string | undefined {
    return this.currentEpoch;
  }

  /** Where a reconnect resumes (`since`); undefined until a complete state of this epoch is held. */
  get position(): Position | undefined {
    return this.resumeAt;
  }

  get(symbol: string): WireQuote | undefined {
    return this.latest.get(symbol);
  }

  quotes(): WireQuote[] {
    return [...this.latest.values()];
  }

  /**
   * Enters `epoch` (a welcome or an epoch message). Returns the previous epoch when it changed: then
   * every quote and seq held belongs to another stream and is forgotten, and so is the resume point.
   */
  enterEpoch(epoch: string): string | undefined {
    const previous = this.currentEpoch;
    this.currentEpoch = epoch;
    if (previous === undefined || previous === epoch) return undefined;
    this.latest.clear();
    this.resumeAt = undefined;
    return previous;
  }

  /** A full state (first snapshot, recovered:false, a new epoch's snapshot): replaces everything held. */
  replace(quotes: readonly WireQuote[], offset: number): void {
    this.latest.clear();
    for (const q of quotes) {
      const held = this.latest.get(q.symbol);
      if (held === undefined || q.seq > held.seq) this.latest.set(q.symbol, q);
    }
    this.moveTo(offset);
  }

  /**
   * Stream updates (`quotes`, or a recovered snapshot) bringing the state to `offset`. With `contiguous`
   * (interval 0) a symbol's next seq must be exactly one more than the one held; otherwise it only has
   * to be higher. Checked before anything is applied, so a gap leaves the state (and the position)
   * as it was and recovery from the position fetches the whole message again.
   */
  update(quotes: readonly WireQuote[], offset: number, contiguous: boolean): UpdateOutcome {
    const applied: WireQuote[] = [];
    // Seqs as they would be after each quote of this message (a symbol may appear several times).
    const seen = new Map<string, number>();
    for (const q of quotes) {
      const held = seen.get(q.symbol) ?? this.latest.get(q.symbol)?.seq;
      if (held !== undefined) {
        if (q.seq <= held) continue; // a repeat or older: never applied
        if (contiguous && q.seq !== held + 1) return { ok: false, gap: { symbol: q.symbol, held, got: q.seq } };
      }
      seen.set(q.symbol, q.seq);
      applied.push(q);
    }
    for (const q of applied) this.latest.set(q.symbol, q);
    this.moveTo(offset);
    return { ok: true, applied };
  }

  /**
   * Values that are not stream updates (a subscribe's snapshot, a snapshot reply): each taken only if
   * newer than what is held, and the position does not move (other symbols may not be complete up to
   * the snapshot's offset). Returns the quotes taken.
   */
  merge(quotes: readonly WireQuote[], accept: (symbol: string) => boolean = () => true): WireQuote[] {
    const taken: WireQuote[] = [];
    for (const q of quotes) {
      if (!accept(q.symbol)) continue;
      const held = this.latest.get(q.symbol);
      if (held !== undefined && q.seq <= held.seq) continue;
      this.latest.set(q.symbol, q);
      taken.push(q);
    }
    return taken;
  }

  /** The subscription shrank (or symbols left the universe): forget the others' quotes and seqs. */
  retain(keep: (symbol: string) => boolean): void {
    for (const symbol of [...this.latest.keys()]) if (!keep(symbol)) this.latest.delete(symbol);
  }

  private moveTo(offset: number): void {
    if (this.currentEpoch !== undefined) this.resumeAt = { epoch: this.currentEpoch, offset };
  }
}
