/**
 * Who the client is, for per-address limits and logs: the TCP peer, unless the peer is one of our
 * own reverse proxies (`--trusted-proxies`), in which case X-Forwarded-For names the client.
 *
 * X-Forwarded-For is a list each proxy appends to, so only its right end is trustworthy: we walk it
 * from the right, skipping our own proxies, and take the first address that is not one. Anything a
 * client wrote itself sits to the left of that and is never believed. Without trusted proxies the
 * header is ignored entirely (anyone can send it).
 */
import { BlockList, isIP } from 'node:net';

export class TrustedProxies {
  private readonly list = new BlockList();
  readonly size: number;

  /** Throws an Error naming the bad entry when one is neither an IP address nor a CIDR block. */
  constructor(entries: readonly string[]) {
    for (const entry of entries) addEntry(this.list, entry.trim());
    this.size = entries.length;
  }

  has(address: string): boolean {
    const bare = unmapIpv4(address);
    const family = isIP(bare);
    return family !== 0 && this.list.check(bare, family === 4 ? 'ipv4' : 'ipv6');
  }

  /** The client's address given the TCP peer and the request's X-Forwarded-For (may be a joined list). */
  clientAddress(peer: string | undefined, forwardedFor: string | string[] | undefined): string | undefined {
    if (peer === undefined) return undefined;
    const direct = unmapIpv4(peer);
    if (this.size === 0 || forwardedFor === undefined || !this.has(direct)) return direct;
    const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor).split(',');
    let client = direct;
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = unmapIpv4(stripPort(hops[i]!.trim()));
      if (isIP(hop) === 0) break; // garbage: believe nothing further left; the last proxy stands
      client = hop;
      if (!this.has(hop)) break;
    }
    return client;
  }
}

function addEntry(list: BlockList, entry: string): void {
  const slash = entry.indexOf('/');
  const address = slash === -1 ? entry : entry.slice(0, slash);
  const family = isIP(address);
  const type = family === 4 ? 'ipv4' : 'ipv6';
  if (family === 0) throw new Error(`--trusted-proxies: "${entry}" is not an IP address or CIDR block`);
  if (slash === -1) {
    list.addAddress(address, type);
    return;
  }
  const prefixText = entry.slice(slash + 1);
  const prefix = /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : NaN;
  if (!(prefix >= 0 && prefix <= (family === 4 ? 32 : 128))) {
    throw new Error(`--trusted-proxies: "${entry}" has an invalid prefix length`);
  }
  list.addSubnet(address, prefix, type);
}

/** "::ffff:10.0.0.1" (how a dual-stack socket reports IPv4 peers) → "10.0.0.1". */
function unmapIpv4(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

/** Some proxies write "1.2.3.4:5678" or "[::1]:5678". */
function stripPort(hop: string): string {
  if (hop.startsWith('[')) {
    const end = hop.indexOf(']');
    return end === -1 ? hop : hop.slice(1, end);
  }
  const colon = hop.indexOf(':');
  return colon !== -1 && hop.indexOf(':', colon + 1) === -1 ? hop.slice(0, colon) : hop;
}
