import type { StreamQuote } from '../broker/stream.js';

export interface RecoveryLimits {
  /** How long a quote stays recoverable (ms). */
  maxAgeMs: number;
  /** How many quotes are kept at most, whatever their age (bounds memory at high tick rates). */
  maxQuotes: number;
}

/**
 * The recent past of the stream, so a client that reconnects with `since=EPOCH:OFFSET` gets exactly
 * what it missed. Holds every accepted quote with an offset above `floor`, in stream order, for at
 * most maxAgeMs and maxQuotes. The quotes are the stream's own objects (no copies), but holding
 * them is what costs: about 0.75 KiB of heap per quote, so maxQuotes is the memory bound (20,000
 * quotes ≈ 15 MiB).
 *
 * Every edge builds the same window from the same stream (identical offsets in every process), so a
 * client may recover on any of them, not only the one it left, once that edge has been up for the
 * window's length.
 */
export class RecoveryWindow {
  private readonly limits: RecoveryLimits;
  private epoch = '';
  /** Every quote with offset > floor and <= the last appended is held. */
  private floor = 0;
  private last = 0;
  /** Held quotes from `head` on; slots before `head` are cleared (undefined) so they pin nothing. */
  private quotes: (StreamQuote | undefined)[] = [];
  private arrivedAt: number[] = [];
  /** Index of the oldest held quote (the arrays are compacted when half of them is dead). */
  private head = 0;

  constructor(limits: RecoveryLimits) {
    this.limits = limits;
  }

  get size(): number {
    return this.quotes.length - this.head;
  }

  /** A new stream, or the same one resynchronised after lost data: nothing before `offset` can be recovered. */
  reset(epoch: string, offset: number): void {
    this.epoch = epoch;
    this.floor = offset;
    this.last = offset;
    this.quotes = [];
    this.arrivedAt = [];
    this.head = 0;
  }

  /** Accepted quotes, in stream order (increasing offsets). */
  append(batch: readonly StreamQuote[], now: number): void {
    if (this.limits.maxQuotes <= 0 || this.limits.maxAgeMs <= 0) {
      if (batch.length > 0) this.floor = this.last = batch[batch.length - 1]!.offset;
      return;
    }
    for (let i = 0; i < batch.length; i++) {
      const q = batch[i]!;
      this.quotes.push(q);
      this.arrivedAt.push(now);
      this.last = q.offset;
    }
    this.trim(now);
  }

  /**
   * Everything after `offset` in `epoch`, in stream order; null when that cannot be given exactly
   * (another epoch, older than the window, or an offset the stream has not reached).
   */
  since(epoch: string, offset: number, now: number): StreamQuote[] | null {
    this.trim(now);
    if (epoch !== this.epoch || offset < this.floor || offset > this.last) return null;
    const out: StreamQuote[] = [];
    // Offsets increase along the array: find the first one after `offset` by binary search.
    let lo = this.head;
    let hi = this.quotes.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.quotes[mid]!.offset <= offset) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < this.quotes.length; i++) out.push(this.quotes[i]!);
    return out;
  }

  private trim(now: number): void {
    const { maxAgeMs, maxQuotes } = this.limits;
    let head = this.head;
    const end = this.quotes.length;
    while (head < end && (end - head > maxQuotes || now - this.arrivedAt[head]! > maxAgeMs)) {
      this.floor = this.quotes[head]!.offset;
      this.quotes[head] = undefined;
      head++;
    }
    this.head = head;
    if (head > 1024 && head * 2 > end) {
      this.quotes = this.quotes.slice(head);
      this.arrivedAt = this.arrivedAt.slice(head);
      this.head = 0;
    }
  }
}
