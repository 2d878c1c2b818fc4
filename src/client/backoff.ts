/**
 * Reconnect delays: exponential backoff with jitter. Jitter matters more than it looks: after a
 * server restart every client reconnects at once, and without it they would all come back in
 * lockstep, again and again.
 */

export interface ReconnectOptions {
  /** Delay ceiling of the first retry, ms. Default 500. */
  initialDelayMs: number;
  /** Largest delay ceiling, ms. Default 30 000. */
  maxDelayMs: number;
  /** Growth of the ceiling per failed attempt. Default 2. */
  factor: number;
  /**
   * Share of the ceiling that is random, 0…1: the delay is drawn uniformly from
   * [ceiling × (1 − jitter), ceiling]. Default 0.5; 0 = no jitter.
   */
  jitter: number;
  /**
   * Connection attempts in a row that may fail before the client stops (the first connection counts;
   * a connection that stayed up for `stableAfterMs` starts the count over). Default Infinity.
   */
  maxAttempts: number;
  /** A connection that stayed up this long resets the backoff. Default 5 000 ms. */
  stableAfterMs: number;
}

export const DEFAULT_RECONNECT: Readonly<ReconnectOptions> = Object.freeze({
  initialDelayMs: 500,
  maxDelayMs: 30_000,
  factor: 2,
  jitter: 0.5,
  maxAttempts: Infinity,
  stableAfterMs: 5_000,
});

/** The defaults with `overrides` applied, checked: a nonsensical setting throws a RangeError at construction, not at the first outage. */
export function reconnectOptions(overrides: Partial<ReconnectOptions> = {}): ReconnectOptions {
  const options: ReconnectOptions = { ...DEFAULT_RECONNECT };
  for (const key of Object.keys(overrides) as (keyof ReconnectOptions)[]) {
    const value = overrides[key];
    if (value !== undefined) options[key] = value;
  }
  const { initialDelayMs, maxDelayMs, factor, jitter, maxAttempts, stableAfterMs } = options;
  if (!(initialDelayMs >= 0) || !Number.isFinite(initialDelayMs)) throw new RangeError('reconnect.initialDelayMs must be a finite number >= 0');
  if (!(maxDelayMs >= initialDelayMs) || !Number.isFinite(maxDelayMs)) throw new RangeError('reconnect.maxDelayMs must be finite and >= initialDelayMs');
  if (!(factor >= 1) || !Number.isFinite(factor)) throw new RangeError('reconnect.factor must be a finite number >= 1');
  if (!(jitter >= 0 && jitter <= 1)) throw new RangeError('reconnect.jitter must be between 0 and 1');
  if (!(maxAttempts >= 1) || (maxAttempts !== Infinity && !Number.isInteger(maxAttempts))) {
    throw new RangeError('reconnect.maxAttempts must be an integer >= 1 or Infinity');
  }
  if (!(stableAfterMs >= 0)) throw new RangeError('reconnect.stableAfterMs must be >= 0');
  return options;
}

/**
 * The delay before retry number `attempt` (0 = the first retry after a failure): the ceiling
 * min(maxDelayMs, initialDelayMs × factor^attempt), minus up to `jitter` of it at random.
 */
export function backoffDelay(attempt: number, options: Pick<ReconnectOptions, 'initialDelayMs' | 'maxDelayMs' | 'factor' | 'jitter'>, random: () => number = Math.random): number {
  // The exponent is capped so a long outage cannot overflow to Infinity before the min() applies.
  const ceiling = Math.min(options.maxDelayMs, options.initialDelayMs * options.factor ** Math.min(Math.max(0, attempt), 64));
  return Math.round(ceiling * (1 - options.jitter * random()));
}

/** A server-given delay (Retry-After): never earlier, and up to 10 % later so its clients do not all return in the same instant. */
export function retryAfterDelay(delayMs: number, random: () => number = Math.random): number {
  return Math.round(delayMs * (1 + 0.1 * random()));
}
