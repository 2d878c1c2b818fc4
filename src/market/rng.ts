/**
 * Seeded pseudo-random numbers for the simulator. Only integer state lives here (no clocks), so
 * the same seed and the same sequence of draws always give the same numbers on every platform.
 */

const TWO_POW_32 = 4294967296;

/** Turns any seed (number or string) into a 32-bit integer. Strings hash with FNV-1a. */
export function normaliseSeed(seed: number | string): number {
  if (typeof seed === 'number' && Number.isInteger(seed) && Math.abs(seed) < TWO_POW_32) return seed >>> 0;
  const text = String(seed);
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** A fresh seed for callers that did not ask for reproducibility (exposed so it can be logged). */
export function randomSeed(): number {
  return (Math.random() * TWO_POW_32) >>> 0;
}

/**
 * xoshiro128** (Blackman & Vigna): four 32-bit words of state, fast with Math.imul, and far better
 * statistically than an LCG. The state is filled from the seed with splitmix32 so that nearby seeds
 * (1, 2, 3 ...) give unrelated streams.
 */
export class Xoshiro128 {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(seed: number | string) {
    let x = normaliseSeed(seed);
    const splitmix32 = (): number => {
      x = (x + 0x9e3779b9) | 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) | 0;
    };
    this.s0 = splitmix32();
    this.s1 = splitmix32();
    this.s2 = splitmix32();
    this.s3 = splitmix32();
    // The all-zero state is the one fixed point of the generator; splitmix32 cannot produce it for
    // four consecutive outputs, but be explicit about the invariant.
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** Uniform integer in [0, 2^32). */
  nextUint32(): number {
    const s1 = this.s1;
    const t = s1 << 9;
    const r = Math.imul(rotl(Math.imul(s1, 5), 7), 9);
    this.s2 ^= this.s0;
    this.s3 ^= s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return r >>> 0;
  }

  /** Uniform float in the open interval (0, 1): safe to take the logarithm of. */
  nextOpenUnit(): number {
    return (this.nextUint32() + 0.5) / TWO_POW_32;
  }

  /** Uniform integer in [0, n), for n well below 2^21 (the bias is then below 2^-11 per value). */
  nextIndex(n: number): number {
    return Math.floor((this.nextUint32() * n) / TWO_POW_32);
  }

  /** Exponential variate with the given mean (inverse transform). */
  nextExponential(mean: number): number {
    return -Math.log(this.nextOpenUnit()) * mean;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/**
 * Standard normal variates produced in blocks with the Box-Muller transform. Filling a pool keeps
 * the per-tick cost to one array read, and using both outputs of each transform halves the number
 * of log/sqrt/sin/cos calls. The pool is refilled from the same PRNG, so it stays deterministic.
 */
export class GaussianPool {
  private readonly pool: Float64Array;
  private index: number;

  constructor(
    private readonly rng: Xoshiro128,
    size = 1024,
  ) {
    if (size < 2 || size % 2 !== 0) throw new RangeError('GaussianPool size must be an even number >= 2');
    this.pool = new Float64Array(size);
    this.index = size; // empty: the first next() fills it
  }

  next(): number {
    if (this.index === this.pool.length) this.refill();
    return this.pool[this.index++];
  }

  private refill(): void {
    const pool = this.pool;
    const rng = this.rng;
    for (let i = 0; i < pool.length; i += 2) {
      const radius = Math.sqrt(-2 * Math.log(rng.nextOpenUnit()));
      const angle = 2 * Math.PI * rng.nextOpenUnit();
      pool[i] = radius * Math.cos(angle);
      pool[i + 1] = radius * Math.sin(angle);
    }
    this.index = 0;
  }
}
