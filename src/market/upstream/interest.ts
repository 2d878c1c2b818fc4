/**
 * Which symbols to subscribe to upstream when that depends on what clients want: the symbols some
 * client wants, plus an always-on list, with hysteresis. A symbol nobody wants any more stays
 * subscribed for `holdMs` before it is released, so a client flapping between symbols (or a page
 * reloading) does not churn the upstream with subscribe/unsubscribe pairs; wanted again within
 * that time, it simply stays.
 *
 * `want()` takes the whole wanted set each time (the hub tells the union of its subscriptions when
 * it changes). Additions are reported at once, releases when their hold expires, through
 * `onChange(added, removed)`.
 */
export interface InterestOptions {
  /** Symbols subscribed whatever clients want. */
  readonly alwaysOn?: Iterable<string>;
  /** How long an unwanted symbol stays subscribed. Default 30 000 ms. */
  readonly holdMs?: number;
  /** Most symbols subscribed at once; wanted symbols beyond it are left out (and counted). Default 5 000. */
  readonly maxSymbols?: number;
  readonly onChange: (added: readonly string[], removed: readonly string[]) => void;
  /** Told once each time wanted symbols had to be left out because of maxSymbols. */
  readonly onOverflow?: (leftOut: number) => void;
  readonly now?: () => number;
}

export class InterestTracker {
  private readonly alwaysOn: ReadonlySet<string>;
  private readonly holdMs: number;
  private readonly maxSymbols: number;
  private readonly onChange: InterestOptions['onChange'];
  private readonly onOverflow: InterestOptions['onOverflow'];
  private readonly now: () => number;
  /** Subscribed upstream (wanted, always on, or held). */
  private readonly active = new Set<string>();
  /** Active but unwanted: when each is released. */
  private readonly releaseAt = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  private stopped = false;

  constructor(options: InterestOptions) {
    this.alwaysOn = new Set(options.alwaysOn ?? []);
    this.holdMs = options.holdMs ?? 30_000;
    this.maxSymbols = options.maxSymbols ?? 5_000;
    if (!(this.holdMs >= 0)) throw new RangeError(`holdMs must be >= 0, got ${this.holdMs}`);
    if (!(this.maxSymbols >= 1)) throw new RangeError(`maxSymbols must be >= 1, got ${this.maxSymbols}`);
    this.onChange = options.onChange;
    this.onOverflow = options.onOverflow;
    this.now = options.now ?? Date.now;
    for (const symbol of this.alwaysOn) this.active.add(symbol);
  }

  /** The symbols to be subscribed upstream now. */
  get symbols(): ReadonlySet<string> {
    return this.active;
  }

  /** Symbols unwanted but still held, and when each is released. */
  get held(): ReadonlyMap<string, number> {
    return this.releaseAt;
  }

  /** The symbols clients want now (the whole set, not a difference). */
  want(wanted: Iterable<string>): void {
    if (this.stopped) return;
    const wantedSet = wanted instanceof Set ? (wanted as ReadonlySet<string>) : new Set(wanted);
    const added: string[] = [];
    let leftOut = 0;
    for (const symbol of wantedSet) {
      if (this.releaseAt.delete(symbol)) continue; // held: simply stays
      if (this.active.has(symbol)) continue;
      if (this.active.size >= this.maxSymbols) {
        leftOut++;
        continue;
      }
      this.active.add(symbol);
      added.push(symbol);
    }
    const releaseAt = this.now() + this.holdMs;
    for (const symbol of this.active) {
      if (!wantedSet.has(symbol) && !this.alwaysOn.has(symbol) && !this.releaseAt.has(symbol)) this.releaseAt.set(symbol, releaseAt);
    }
    if (leftOut > 0) this.onOverflow?.(leftOut);
    if (added.length > 0) this.onChange(added, []);
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    let next = Infinity;
    for (const at of this.releaseAt.values()) if (at < next) next = at;
    if (next === this.timerAt) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = next;
    if (next === Infinity) return;
    this.timer = setTimeout(() => this.release(), Math.max(0, next - this.now()));
    this.timer.unref();
  }

  private release(): void {
    this.timer = undefined;
    this.timerAt = Infinity;
    if (this.stopped) return;
    const now = this.now();
    const removed: string[] = [];
    for (const [symbol, at] of this.releaseAt) {
      if (at > now) continue;
      this.releaseAt.delete(symbol);
      this.active.delete(symbol);
      removed.push(symbol);
    }
    if (removed.length > 0) this.onChange([], removed);
    this.schedule();
  }
}
