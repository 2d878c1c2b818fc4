import type { Bar } from './timeframes.js';

const STRIDE = 6; // t, o, h, l, c, v
const INITIAL_BARS = 64;

/**
 * The bars of one symbol at one timeframe: a ring of at most `capacity` bars, oldest dropped first.
 * Numbers live in one Float64Array (6 per bar) rather than Bar objects: a full day of bars for
 * thousands of symbols is millions of bars, and typed arrays keep that compact and out of the GC's
 * way. The array starts small and doubles up to the capacity, so memory follows the bars really made.
 */
export class BarRing {
  readonly capacity: number;
  private data: Float64Array;
  /** Index (in bars) of the oldest bar. */
  private head = 0;
  private count = 0;
  /** Offset in `data` of the newest bar (-1 when empty): the one every tick touches, kept at hand. */
  private newest = -1;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`bar ring capacity must be a positive integer, got ${capacity}`);
    this.capacity = capacity;
    this.data = new Float64Array(Math.min(capacity, INITIAL_BARS) * STRIDE);
  }

  get size(): number {
    return this.count;
  }

  /** Start time of the newest bar, or -Infinity when empty. */
  get lastStart(): number {
    return this.count === 0 ? -Infinity : this.data[this.slot(this.count - 1)]!;
  }

  /** Appends a new bar (its start must be later than the newest one's; the caller checks). */
  push(t: number, o: number, h: number, l: number, c: number, v: number): void {
    if (this.count === this.data.length / STRIDE && this.count < this.capacity) this.grow();
    let index: number;
    if (this.count < this.capacity) {
      index = this.slot(this.count);
      this.count++;
    } else {
      index = this.head * STRIDE;
      this.head = (this.head + 1) % this.capacity;
    }
    const d = this.data;
    this.newest = index;
    d[index] = t;
    d[index + 1] = o;
    d[index + 2] = h;
    d[index + 3] = l;
    d[index + 4] = c;
    d[index + 5] = v;
  }

  /**
   * Folds one trade into the ring: into the newest bar when it starts at `start`, as a new bar when
   * `start` is later, as volume only when earlier (a late trade). The per-tick path: one comparison
   * on the newest bar, no index arithmetic.
   */
  fold(start: number, price: number, traded: number): void {
    const i = this.newest;
    if (i >= 0) {
      const d = this.data;
      const t = d[i]!;
      if (start === t) {
        if (price > d[i + 2]!) d[i + 2] = price;
        if (price < d[i + 3]!) d[i + 3] = price;
        d[i + 4] = price;
        d[i + 5]! += traded;
        return;
      }
      if (start < t) {
        d[i + 5]! += traded;
        return;
      }
    }
    this.push(start, price, price, price, price, traded);
  }

  /** Folds a trade (or a finer bar) into the newest bar. */
  updateLast(h: number, l: number, c: number, v: number): void {
    const i = this.slot(this.count - 1);
    const d = this.data;
    if (h > d[i + 2]!) d[i + 2] = h;
    if (l < d[i + 3]!) d[i + 3] = l;
    d[i + 4] = c;
    d[i + 5]! += v;
  }

  /** The newest `limit` bars, oldest first, as objects. */
  last(limit: number): Bar[] {
    const n = Math.max(0, Math.min(limit, this.count));
    const out = new Array<Bar>(n);
    const d = this.data;
    for (let k = 0; k < n; k++) {
      const i = this.slot(this.count - n + k);
      out[k] = { t: d[i]!, o: d[i + 1]!, h: d[i + 2]!, l: d[i + 3]!, c: d[i + 4]!, v: d[i + 5]! };
    }
    return out;
  }

  /**
   * Every bar as one flat array (t, o, h, l, c, v, t, ...), oldest first: the compact form snapshots
   * carry. A Float64Array: copied in two slices, and cloned byte for byte over cluster IPC.
   */
  toFlat(): Float64Array {
    const out = new Float64Array(this.count * STRIDE);
    const wrapped = this.head + this.count > this.capacity ? this.capacity - this.head : this.count;
    out.set(this.data.subarray(this.head * STRIDE, (this.head + wrapped) * STRIDE), 0);
    if (wrapped < this.count) out.set(this.data.subarray(0, (this.count - wrapped) * STRIDE), wrapped * STRIDE);
    return out;
  }

  /** The bars that start after `t`, flattened like toFlat (scans from the newest: cheap when few are new). */
  newerThan(t: number): Float64Array {
    let k = this.count;
    while (k > 0 && this.data[this.slot(k - 1)]! > t) k--;
    const out = new Float64Array((this.count - k) * STRIDE);
    for (let j = k; j < this.count; j++) out.set(this.data.subarray(this.slot(j), this.slot(j) + STRIDE), (j - k) * STRIDE);
    return out;
  }

  /** A ring holding `flat` (see toFlat), keeping the newest `capacity` bars. */
  static fromFlat(flat: ArrayLike<number>, capacity: number): BarRing {
    if (flat.length % STRIDE !== 0) throw new RangeError(`flat bars must hold a multiple of ${STRIDE} numbers, got ${flat.length}`);
    const ring = new BarRing(capacity);
    for (let k = 0; k < flat.length; k += STRIDE) {
      const t = flat[k]!;
      if (t <= ring.lastStart) throw new RangeError('flat bars must be in strictly increasing time order');
      ring.push(t, flat[k + 1]!, flat[k + 2]!, flat[k + 3]!, flat[k + 4]!, flat[k + 5]!);
    }
    return ring;
  }

  private slot(k: number): number {
    return ((this.head + k) % this.capacity) * STRIDE;
  }

  private grow(): void {
    // Unroll into a larger array with the oldest bar first (head = 0 afterwards).
    const bigger = new Float64Array(Math.min(this.capacity, (this.data.length / STRIDE) * 2) * STRIDE);
    for (let k = 0; k < this.count; k++) bigger.set(this.data.subarray(this.slot(k), this.slot(k) + STRIDE), k * STRIDE);
    this.data = bigger;
    this.head = 0;
    this.newest = this.count === 0 ? -1 : (this.count - 1) * STRIDE;
  }
}
