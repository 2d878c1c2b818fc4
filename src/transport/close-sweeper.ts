/**
 * Destroys connections whose closing handshake did not complete in time.
 *
 * One shared, unref'd interval serves every closing connection in the process (and only runs while some
 * connection is closing), instead of one timer per socket.
 */
export interface ClosingConnection {
  closeDeadline: number;
  /** Called when the deadline passed: the connection destroys its socket. */
  closeTimedOut(): void;
}

const closing = new Set<ClosingConnection>();
let timer: NodeJS.Timeout | null = null;
const SWEEP_MS = 250;

export function watchClosing(conn: ClosingConnection, timeoutMs: number): void {
  conn.closeDeadline = Date.now() + timeoutMs;
  closing.add(conn);
  if (timer === null) {
    timer = setInterval(sweep, SWEEP_MS);
    timer.unref();
  }
}

export function unwatchClosing(conn: ClosingConnection): void {
  closing.delete(conn);
  if (closing.size === 0 && timer !== null) {
    clearInterval(timer);
    timer = null;
  }
}

function sweep(): void {
  const now = Date.now();
  for (const conn of closing) {
    if (now >= conn.closeDeadline) {
      closing.delete(conn);
      conn.closeTimedOut();
    }
  }
  if (closing.size === 0 && timer !== null) {
    clearInterval(timer);
    timer = null;
  }
}
