/**
 * Per-client-address limits on WebSocket upgrades: how many connections one address may hold, and
 * how fast it may open new ones (a token bucket). One client, or one compromised host, must not be
 * able to take every file descriptor or every handshake the process can do.
 *
 * Memory stays bounded: an address is remembered only while it holds connections or its bucket is
 * refilling, and forgotten entries are pruned in passes that run at most once a second.
 */

export interface AddressLimitOptions {
  /** Open connections per address; 0 = unlimited. */
  maxConnections: number;
  /** Handshakes per second per address; 0 = unlimited. */
  handshakeRatePerSec: number;
  /** Handshakes an address may make at once before the rate applies. */
  handshakeBurst: number;
}

export type AddressVerdict = { ok: true } | { ok: false; status: 429; message: string; retryAfterSec: number };

interface AddressEntry {
  open: number;
  tokens: number;
  updatedAt: number;
}

const ADMITTED: AddressVerdict = { ok: true };
/** Suggested wait for a client refused because it holds too many connections. */
const CAP_RETRY_AFTER_SEC = 5;
const PRUNE_EVERY_MS = 1_000;
const PRUNE_ABOVE_ENTRIES = 1_024;

export class AddressLimits {
  private readonly options: AddressLimitOptions;
  private readonly entries = new Map<string, AddressEntry>();
  private lastPruneAt = 0;

  constructor(options: AddressLimitOptions) {
    this.options = options;
  }

  /** Addresses currently remembered (for tests and metrics). */
  get size(): number {
    return this.entries.size;
  }

  /** Connections open from this address (as counted by opened/closed). */
  openFrom(address: string): number {
    return this.entries.get(addressKey(address))?.open ?? 0;
  }

  /** Decides whether `address` may start a handshake now, and spends a handshake token if so. */
  admit(address: string, now: number): AddressVerdict {
    const { maxConnections, handshakeRatePerSec, handshakeBurst } = this.options;
    if (maxConnections <= 0 && handshakeRatePerSec <= 0) return ADMITTED;
    this.maybePrune(now);
    const key = addressKey(address);
    let entry = this.entries.get(key);
    if (entry === undefined) {
      entry = { open: 0, tokens: handshakeBurst, updatedAt: now };
      this.entries.set(key, entry);
    }
    if (maxConnections > 0 && entry.open >= maxConnections) {
      return {
        ok: false,
        status: 429,
        message: `too many connections from this address (at most ${maxConnections})`,
        retryAfterSec: CAP_RETRY_AFTER_SEC,
      };
    }
    if (handshakeRatePerSec > 0) {
      refill(entry, now, handshakeRatePerSec, handshakeBurst);
      if (entry.tokens < 1) {
        return {
          ok: false,
          status: 429,
          message: `too many handshakes from this address (at most ${handshakeRatePerSec} per second)`,
          retryAfterSec: Math.max(1, Math.ceil((1 - entry.tokens) / handshakeRatePerSec)),
        };
      }
      entry.tokens -= 1;
    }
    return ADMITTED;
  }

  /** A connection from `address` is now open. */
  opened(address: string): void {
    const key = addressKey(address);
    const entry = this.entries.get(key);
    if (entry !== undefined) entry.open++;
    else this.entries.set(key, { open: 1, tokens: this.options.handshakeBurst, updatedAt: Date.now() });
  }

  /** A connection from `address` closed. */
  closed(address: string): void {
    const entry = this.entries.get(addressKey(address));
    if (entry !== undefined && entry.open > 0) entry.open--;
  }

  /** Forgets addresses that hold no connection and whose bucket is full again. */
  prune(now: number): void {
    this.lastPruneAt = now;
    const { handshakeRatePerSec, handshakeBurst } = this.options;
    for (const [key, entry] of this.entries) {
      if (entry.open > 0) continue;
      if (handshakeRatePerSec > 0) refill(entry, now, handshakeRatePerSec, handshakeBurst);
      if (handshakeRatePerSec <= 0 || entry.tokens >= handshakeBurst) this.entries.delete(key);
    }
  }

  private maybePrune(now: number): void {
    if (this.entries.size > PRUNE_ABOVE_ENTRIES && now - this.lastPruneAt >= PRUNE_EVERY_MS) this.prune(now);
  }
}

function refill(entry: AddressEntry, now: number, ratePerSec: number, burst: number): void {
  if (now > entry.updatedAt) {
    entry.tokens = Math.min(burst, entry.tokens + ((now - entry.updatedAt) / 1000) * ratePerSec);
    entry.updatedAt = now;
  }
}

/**
 * The key an address is limited under: IPv4 as is (IPv4-mapped IPv6 unwrapped), IPv6 by its /64,
 * since one host or one customer routinely holds a whole /64 and could otherwise rotate through it.
 */
export function addressKey(address: string): string {
  if (address.startsWith('::ffff:') && address.includes('.')) return address.slice(7);
  if (!address.includes(':')) return address;
  const groups = expandIpv6(address);
  return groups === null ? address : `${groups.slice(0, 4).join(':')}::/64`;
}

/** The eight 16-bit groups of an IPv6 address (zone id dropped), or null when it is not one. */
function expandIpv6(address: string): string[] | null {
  const bare = address.split('%')[0]!;
  const halves = bare.split('::');
  if (halves.length > 2) return null;
  const head = halves[0] === '' ? [] : halves[0]!.split(':');
  const tail = halves.length === 2 && halves[1] !== '' ? halves[1]!.split(':') : [];
  if (halves.length === 1 && head.length !== 8) return null;
  const fill = 8 - head.length - tail.length;
  if (fill < 0) return null;
  const groups = [...head, ...new Array<string>(halves.length === 2 ? fill : 0).fill('0'), ...tail];
  if (groups.length !== 8 || !groups.every((g) => /^[0-9a-f]{1,4}$/i.test(g))) return null;
  return groups.map((g) => g.toLowerCase().replace(/^0+(?=.)/, ''));
}
