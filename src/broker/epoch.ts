import { randomBytes } from 'node:crypto';

/**
 * A new stream epoch id: the start time in base 36 (so ids sort by start time, and a log reader sees
 * roughly when a stream began) and 24 random bits (two processes started in the same millisecond
 * still differ). Example: `mi4x9k2a-3f9c1e`.
 */
export function newEpoch(now: number = Date.now()): string {
  return `${now.toString(36)}-${randomBytes(3).toString('hex')}`;
}
