import type { DeliveryGroup } from './delivery-groups.js';
import { unrefTimer } from './limits.js';

interface Cadence {
  readonly intervalMs: number;
  readonly groups: Set<DeliveryGroup>;
  timer: ReturnType<typeof setTimeout> | null;
}

/**
 * Fires timed groups on wall-clock boundaries that are multiples of their interval, so every group
 * of the same cadence flushes in the same timer callback (all 1000 ms clients push together, once a
 * second). One timer per distinct interval in use — never one per client.
 */
export class CadenceScheduler {
  private readonly cadences = new Map<number, Cadence>();
  private readonly flush: (groups: ReadonlySet<DeliveryGroup>) => void;
  private stopped = false;

  constructor(flush: (groups: ReadonlySet<DeliveryGroup>) => void) {
    this.flush = flush;
  }

  add(group: DeliveryGroup): void {
    let cadence = this.cadences.get(group.intervalMs);
    if (cadence === undefined) {
      cadence = { intervalMs: group.intervalMs, groups: new Set(), timer: null };
      this.cadences.set(group.intervalMs, cadence);
      this.arm(cadence);
    }
    cadence.groups.add(group);
  }

  remove(group: DeliveryGroup): void {
    const cadence = this.cadences.get(group.intervalMs);
    if (cadence === undefined) return;
    cadence.groups.delete(group);
    if (cadence.groups.size > 0) return;
    if (cadence.timer !== null) clearTimeout(cadence.timer);
    this.cadences.delete(group.intervalMs);
  }

  /** Distinct intervals with a live timer. */
  get activeIntervals(): number {
    return this.cadences.size;
  }

  stop(): void {
    this.stopped = true;
    for (const cadence of this.cadences.values()) {
      if (cadence.timer !== null) clearTimeout(cadence.timer);
      cadence.timer = null;
    }
    this.cadences.clear();
  }

  /**
   * A fresh timeout to the next boundary each time (not setInterval): it re-aligns after every fire,
   * so slow callbacks or timer lateness never accumulate drift.
   */
  private arm(cadence: Cadence): void {
    if (this.stopped) return;
    const now = Date.now();
    const delay = cadence.intervalMs - (now % cadence.intervalMs);
    cadence.timer = unrefTimer(setTimeout(() => this.fire(cadence), delay));
  }

  private fire(cadence: Cadence): void {
    cadence.timer = null;
    if (this.cadences.get(cadence.intervalMs) !== cadence) return;
    try {
      this.flush(cadence.groups);
    } finally {
      this.arm(cadence);
    }
  }
}
