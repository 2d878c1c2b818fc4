/**
 * Paces the messages we send to an upstream: at most `maxPerWindow` in any `windowMs` (a sliding
 * window, not a token bucket, whose refill would allow twice the rate across a window boundary).
 * Binance disconnects (and eventually bans) a connection that sends more than 5 messages a second.
 *
 * Tasks run in order. A task builds its message when its turn comes, so updates that pile up while
 * waiting are batched into the message that finally goes out; it returns false when it had nothing
 * to send (its turn is then not counted).
 */
export class SendLimiter {
  private readonly maxPerWindow: number;
  private readonly windowMs: number;
  private readonly now: () => number;
  /** When the last sends happened (at most maxPerWindow of them, oldest first). */
  private readonly sentAt: number[] = [];
  private readonly queue: (() => boolean)[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(maxPerWindow: number, windowMs = 1000, now: () => number = () => performance.now()) {
    if (!(Number.isInteger(maxPerWindow) && maxPerWindow >= 1)) throw new RangeError(`maxPerWindow must be an integer >= 1, got ${maxPerWindow}`);
    if (!(windowMs > 0)) throw new RangeError(`windowMs must be > 0, got ${windowMs}`);
    this.maxPerWindow = maxPerWindow;
    this.windowMs = windowMs;
    this.now = now;
  }

  /** Tasks waiting for their turn. */
  get pending(): number {
    return this.queue.length;
  }

  /** Queues `task`; it runs at once if the window allows. */
  schedule(task: () => boolean): void {
    this.queue.push(task);
    if (this.timer === undefined) this.drain();
  }

  /** Drops every queued task (the connection they were for is gone). Past sends still count. */
  clear(): void {
    this.queue.length = 0;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private drain(): void {
    this.timer = undefined;
    while (this.queue.length > 0) {
      const now = this.now();
      if (this.sentAt.length === this.maxPerWindow) {
        const wait = this.sentAt[0]! + this.windowMs - now;
        if (wait > 0) {
          this.timer = setTimeout(() => this.drain(), Math.ceil(wait));
          return;
        }
        this.sentAt.shift();
      }
      const task = this.queue.shift()!;
      if (task()) this.sentAt.push(now);
    }
  }
}
