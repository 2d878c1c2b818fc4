/**
 * The union of the symbols clients want, over several processes (cluster workers, Redis edges):
 * each reports its own set; the listener hears the union whenever it changes, never a repeat.
 * What an interest-driven feed (QuoteFeed.interest) needs when its clients are elsewhere.
 */
export class InterestUnion {
  private readonly parts = new Map<string, ReadonlySet<string>>();
  private told: ReadonlySet<string> | null = null;

  constructor(private readonly listener: (symbols: ReadonlySet<string>) => void) {}

  /** `source` (a worker, an edge) now wants exactly `symbols`. */
  set(source: string, symbols: Iterable<string>): void {
    this.parts.set(source, new Set(symbols));
    this.tell();
  }

  /** `source` is gone: its symbols no longer count. */
  delete(source: string): void {
    if (this.parts.delete(source)) this.tell();
  }

  /** Replaces every part at once (a poll that read them all). */
  replaceAll(parts: ReadonlyMap<string, Iterable<string>>): void {
    this.parts.clear();
    for (const [source, symbols] of parts) this.parts.set(source, new Set(symbols));
    this.tell();
  }

  get sources(): number {
    return this.parts.size;
  }

  private tell(): void {
    const union = new Set<string>();
    for (const part of this.parts.values()) for (const symbol of part) union.add(symbol);
    const told = this.told;
    if (told !== null && told.size === union.size && [...union].every((s) => told.has(s))) return;
    this.told = union;
    this.listener(union);
  }
}
