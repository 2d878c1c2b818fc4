/**
 * Items arriving over time (messages, output lines) that a test takes in order, waiting for the next one that
 * matches: each item is handed out once, and waiting ends early when the source has ended.
 */
export class Inbox<T> {
  readonly items: T[] = [];
  private cursor = 0;
  private wake: (() => void) | undefined;
  private ended: (() => string) | undefined;

  push(item: T): void {
    this.items.push(item);
    this.wake?.();
  }

  /** The source is gone; `describe` says why, for the error of anyone still waiting. */
  end(describe: () => string): void {
    this.ended = describe;
    this.wake?.();
  }

  async next(predicate: (item: T) => boolean, timeoutMs: number, describeTimeout: () => string): Promise<T> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      while (this.cursor < this.items.length) {
        const item = this.items[this.cursor++]!;
        if (predicate(item)) return item;
      }
      if (this.ended) throw new Error(this.ended());
      const remaining = deadline - performance.now();
      if (remaining <= 0) throw new Error(describeTimeout());
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, remaining);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }
}
