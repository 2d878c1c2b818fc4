import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { GaussianPool, Xoshiro128, normaliseSeed } from '../../src/market/rng.js';

function draw(rng: Xoshiro128, n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(rng.nextUint32());
  return out;
}

describe('seeded PRNG', () => {
  test('same seed gives the same stream, different seeds differ', () => {
    assert.deepEqual(draw(new Xoshiro128(42), 100), draw(new Xoshiro128(42), 100));
    assert.deepEqual(draw(new Xoshiro128('demo'), 100), draw(new Xoshiro128('demo'), 100));
    const a = draw(new Xoshiro128(1), 100);
    const b = draw(new Xoshiro128(2), 100);
    assert.ok(a.filter((x, i) => x === b[i]).length < 3, 'a.filter((x, i) => x === b[i]).length < 3');
  });

  test('seeds normalise to 32-bit integers', () => {
    assert.equal(normaliseSeed(7), 7);
    assert.equal(normaliseSeed(-1), 0xffffffff);
    assert.equal(normaliseSeed('abc'), normaliseSeed('abc'));
    assert.notEqual(normaliseSeed('abc'), normaliseSeed('abd'));
    assert.ok(Number.isInteger(normaliseSeed(0.5)), 'Number.isInteger(normaliseSeed(0.5))');
  });

  test('uniform draws are in range and roughly uniform', () => {
    const rng = new Xoshiro128(9);
    const buckets = new Array<number>(10).fill(0);
    const n = 100_000;
    for (let i = 0; i < n; i++) {
      const u = rng.nextOpenUnit();
      assert.ok(u > 0 && u < 1, 'u > 0 && u < 1');
      buckets[Math.floor(u * 10)]!++;
    }
    // Each bucket expects 10,000 with sd ~95: +-5 % is a > 5 sigma tolerance.
    for (const count of buckets) assert.ok(Math.abs(count - n / 10) < n / 200, `bucket ${count}`);
    for (let i = 0; i < 1000; i++) {
      const k = rng.nextIndex(7);
      assert.ok(Number.isInteger(k) && k >= 0 && k < 7, 'Number.isInteger(k) && k >= 0 && k < 7');
    }
  });

  test('exponential variates have the requested mean', () => {
    const rng = new Xoshiro128(5);
    let sum = 0;
    const n = 100_000;
    for (let i = 0; i < n; i++) sum += rng.nextExponential(3);
    assert.ok(Math.abs(sum / n - 3) < 0.05, `mean ${sum / n}`);
  });

  test('pooled Gaussians have mean 0 and variance 1 and are deterministic', () => {
    const pool = new GaussianPool(new Xoshiro128(3), 256);
    const n = 100_000;
    let sum = 0;
    let sumSq = 0;
    let beyond3 = 0;
    for (let i = 0; i < n; i++) {
      const z = pool.next();
      sum += z;
      sumSq += z * z;
      if (Math.abs(z) > 3) beyond3++;
    }
    const mean = sum / n;
    assert.ok(Math.abs(mean) < 0.02, `mean ${mean}`);
    assert.ok(Math.abs(sumSq / n - mean * mean - 1) < 0.03, `variance ${sumSq / n}`);
    // P(|Z| > 3) = 0.27 %: expect ~270 of 100,000.
    assert.ok(beyond3 > 180 && beyond3 < 380, `tail count ${beyond3}`);
    const again = new GaussianPool(new Xoshiro128(3), 256);
    const first = new GaussianPool(new Xoshiro128(3), 256);
    for (let i = 0; i < 600; i++) assert.equal(again.next(), first.next());
    assert.throws(() => new GaussianPool(new Xoshiro128(1), 3), RangeError);
  });
});
