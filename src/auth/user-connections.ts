/**
 * Open connections per authenticated user (`sub`), to cap how many sockets one token holder may
 * keep. Users are forgotten when their count drops to zero, so memory follows the users connected
 * now, not every user ever seen.
 *
 * The caller pairs every successful `acquire` with exactly one `release` (typically on the
 * connection's close event); `release` of a user with no open connection is ignored rather than
 * going negative, so a double release cannot hand out an extra slot.
 */
export class UserConnections {
  private readonly open = new Map<string, number>();

  /** @param limitPerUser most connections one `sub` may hold at once; 0 = unlimited. */
  constructor(readonly limitPerUser: number) {
    if (!Number.isSafeInteger(limitPerUser) || limitPerUser < 0) {
      throw new RangeError(`limitPerUser must be a non-negative integer, got ${limitPerUser}`);
    }
  }

  /** Takes a slot for `sub`; false (and nothing counted) when the user is at the limit. */
  acquire(sub: string): boolean {
    const now = this.open.get(sub) ?? 0;
    if (this.limitPerUser > 0 && now >= this.limitPerUser) return false;
    this.open.set(sub, now + 1);
    return true;
  }

  /** Gives back a slot taken by `acquire`. */
  release(sub: string): void {
    const now = this.open.get(sub);
    if (now === undefined) return;
    if (now <= 1) this.open.delete(sub);
    else this.open.set(sub, now - 1);
  }

  /** Connections `sub` holds now. */
  count(sub: string): number {
    return this.open.get(sub) ?? 0;
  }

  /** Users with at least one open connection. */
  get users(): number {
    return this.open.size;
  }
}
