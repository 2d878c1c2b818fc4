/**
 * Fires when nothing arrived for `timeoutMs`. Browsers cannot see protocol pings, so silence is the
 * only sign of a dead connection (a cable pulled, a NAT entry dropped, a proxy that stopped
 * forwarding): the server's app heartbeat guarantees something arrives at least every heartbeat.
 *
 * One timer, re-armed lazily: touch() only records the time (it runs for every message), and the
 * timer, when it fires early, sleeps again for the remainder.
 */
export class Watchdog {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private lastSeen = 0;
  private timeoutMs = 0;

  constructor(private readonly onSilence: (silentMs: number) => void) {}

  /** Starts (or restarts) watching with this timeout; 0 = off. */
  arm(timeoutMs: number): void {
    this.stop();
    this.timeoutMs = timeoutMs;
    if (timeoutMs <= 0) return;
    this.lastSeen = now();
    this.schedule(timeoutMs);
  }

  touch(): void {
    this.lastSeen = now();
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const silent = now() - this.lastSeen;
      if (silent >= this.timeoutMs) this.onSilence(Math.round(silent));
      else this.schedule(this.timeoutMs - silent);
    }, Math.ceil(delayMs));
  }
}

/** A monotonic clock where there is one: a wall-clock jump must not look like silence. */
function now(): number {
  const perf = (globalThis as unknown as { performance?: { now(): number } }).performance;
  return perf !== undefined ? perf.now() : Date.now();
}
