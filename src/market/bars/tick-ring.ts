/** One trade as GET /api/ticks returns it. */
export interface Tick {
  ts: number;
  last: number;
  bid: number;
  ask: number;
  volume: number;
  seq: number;
}

const STRIDE = 6;

/**
 * The last ticks of one symbol (a bounded ring of numbers, 48 bytes a tick, not the quote objects:
 * keeping references would pin every quote of the window in memory).
 */
export class TickRing {
  private readonly data: Float64Array;
  private head = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    this.data = new Float64Array(capacity * STRIDE);
  }

  push(ts: number, last: number, bid: number, ask: number, volume: number, seq: number): void {
    const slot = ((this.head + this.count) % this.capacity) * STRIDE;
    if (this.count < this.capacity) this.count++;
    else this.head = (this.head + 1) % this.capacity;
    const d = this.data;
    d[slot] = ts;
    d[slot + 1] = last;
    d[slot + 2] = bid;
    d[slot + 3] = ask;
    d[slot + 4] = volume;
    d[slot + 5] = seq;
  }

  /** The newest `limit` ticks, oldest first. */
  last(limit: number): Tick[] {
    const n = Math.max(0, Math.min(limit, this.count));
    const out = new Array<Tick>(n);
    for (let k = 0; k < n; k++) {
      const i = ((this.head + this.count - n + k) % this.capacity) * STRIDE;
      const d = this.data;
      out[k] = { ts: d[i]!, last: d[i + 1]!, bid: d[i + 2]!, ask: d[i + 3]!, volume: d[i + 4]!, seq: d[i + 5]! };
    }
    return out;
  }
}
