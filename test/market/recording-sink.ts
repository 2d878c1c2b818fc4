import type { FeedSink, FeedStatus, Quote, SymbolInfo } from '../../src/market/index.js';

/** One call a feed made on its sink, in call order. */
export type SinkEvent =
  | { readonly type: 'universe'; readonly added: readonly SymbolInfo[]; readonly removed: readonly string[] }
  | { readonly type: 'quotes'; readonly batch: readonly Quote[] }
  | { readonly type: 'status'; readonly status: FeedStatus };

/**
 * A FeedSink that records every call and lets a test await a condition on what arrived so far
 * (never a fixed sleep): `await sink.until((s) => s.received.length >= 10, 'ten quotes')`.
 */
export class RecordingSink implements FeedSink {
  readonly events: SinkEvent[] = [];
  /** Every quote reported, flattened across batches. */
  readonly received: Quote[] = [];
  readonly batches: (readonly Quote[])[] = [];
  readonly statuses: FeedStatus[] = [];
  /** Every symbol announced, in order. */
  readonly symbols: SymbolInfo[] = [];
  private waiters: (() => void)[] = [];

  universe(added: readonly SymbolInfo[], removed: readonly string[] = []): void {
    this.events.push({ type: 'universe', added, removed });
    this.symbols.push(...added);
    this.notify();
  }

  quotes(batch: readonly Quote[]): void {
    this.events.push({ type: 'quotes', batch });
    this.batches.push(batch);
    this.received.push(...batch);
    this.notify();
  }

  status(status: FeedStatus): void {
    this.events.push({ type: 'status', status });
    this.statuses.push(status);
    this.notify();
  }

  /** Event types in call order, e.g. ['universe', 'quotes', 'status:up']. */
  get sequence(): string[] {
    return this.events.map((e) => (e.type === 'status' ? `status:${e.status.state}` : e.type));
  }

  /** Resolves once `predicate` holds; rejects after `timeoutMs` naming `what` it waited for. */
  until(predicate: (sink: this) => boolean, what: string, timeoutMs = 5000): Promise<void> {
    if (predicate(this)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (!predicate(this)) return;
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== check);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; got ${this.sequence.join(', ')}`));
      }, timeoutMs);
      this.waiters.push(check);
    });
  }

  private notify(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}
