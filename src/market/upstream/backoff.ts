/**
 * Reconnect delays for an upstream connection: exponential backoff with jitter, so that after an
 * upstream outage many servers (or many connections of one server) do not all come back in the
 * same instant, and a provider that keeps refusing us is asked less and less often.
 */
export interface BackoffOptions {
  /** Ceiling of the first retry's delay, ms. Default 500. */
  initialDelayMs: number;
  /** Largest ceiling, ms. Default 30 000. */
  maxDelayMs: number;
  /** Growth of the ceiling per failed attempt. Default 2. */
  factor: number;
  /** Share of the ceiling that is random: the delay is uniform in [ceiling × (1 − jitter), ceiling]. Default 0.5. */
  jitter: number;
}

export const DEFAULT_BACKOFF: Readonly<BackoffOptions> = Object.freeze({ initialDelayMs: 500, maxDelayMs: 30_000, factor: 2, jitter: 0.5 });

export class Backoff {
  private readonly options: BackoffOptions;
  private readonly random: () => number;
  private failures = 0;

  constructor(options: Partial<BackoffOptions> = {}, random: () => number = Math.random) {
    this.options = { ...DEFAULT_BACKOFF, ...definedOnly(options) };
    const { initialDelayMs, maxDelayMs, factor, jitter } = this.options;
    if (!(initialDelayMs >= 0 && maxDelayMs >= initialDelayMs && Number.isFinite(maxDelayMs))) {
      throw new RangeError('backoff: need 0 <= initialDelayMs <= maxDelayMs < Infinity');
    }
    if (!(factor >= 1 && Number.isFinite(factor))) throw new RangeError('backoff: factor must be a finite number >= 1');
    if (!(jitter >= 0 && jitter <= 1)) throw new RangeError('backoff: jitter must be between 0 and 1');
    this.random = random;
  }

  /** Failed attempts since the last reset. */
  get attempts(): number {
    return this.failures;
  }

  /** The delay before the next attempt; each call counts one more failure. */
  next(): number {
    const { initialDelayMs, maxDelayMs, factor, jitter } = this.options;
    // Exponent capped so a long outage cannot overflow to Infinity before min() applies.
    const ceiling = Math.min(maxDelayMs, initialDelayMs * factor ** Math.min(this.failures, 64));
    this.failures++;
    return Math.round(ceiling * (1 - jitter * this.random()));
  }

  /** A connection worked: the next failure starts from the initial delay again. */
  reset(): void {
    this.failures = 0;
  }
}

function definedOnly<T extends object>(value: T): Partial<T> {
  const out: Partial<T> = {};
  for (const key of Object.keys(value) as (keyof T)[]) if (value[key] !== undefined) out[key] = value[key];
  return out;
}
