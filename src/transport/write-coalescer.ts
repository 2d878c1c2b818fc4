import type { Socket } from 'node:net';

/**
 * Coalesces every frame written to a socket during one event-loop turn into a single socket write.
 *
 * Why: a push server often has several messages due for the same client in one turn (a quote batch, a
 * heartbeat, a snapshot). One write — one syscall, one TCP segment where it fits — per socket per turn is
 * what lets fan-out approach the raw `socket.write` bound. The queue lives on the owner object, and one
 * process-wide list of dirty owners is flushed from a single `process.nextTick`, so a broadcast to N sockets
 * costs no closures and no timers per socket.
 */
export interface CoalescedWriter {
  /** Frames waiting for the end of the turn: null when none, a Buffer for one, an array for several. */
  pending: Buffer | Buffer[] | null;
  pendingBytes: number;
  readonly socket: Socket;
  /** Called after the pending frames were handed to the socket (e.g. to end it after a close frame). */
  afterFlush(): void;
}

const dirty: CoalescedWriter[] = [];
let flushScheduled = false;

export function enqueueWrite(owner: CoalescedWriter, frame: Buffer): void {
  const pending = owner.pending;
  if (pending === null) {
    owner.pending = frame;
    dirty.push(owner);
    if (!flushScheduled) {
      flushScheduled = true;
      process.nextTick(flushAll);
    }
  } else if (Array.isArray(pending)) {
    pending.push(frame);
  } else {
    owner.pending = [pending, frame];
  }
  owner.pendingBytes += frame.length;
}

/**
 * Forgets an owner's pending frames without writing them (a peer over its outbound budget). Whole
 * frames only: callers queue a frame's pieces in one synchronous call, so nothing is cut in half.
 */
export function discardPending(owner: CoalescedWriter): void {
  owner.pending = null;
  owner.pendingBytes = 0;
}

/** Writes one owner's pending frames now (used before closing, and by the turn-end flush). */
export function flushWriter(owner: CoalescedWriter): void {
  const pending = owner.pending;
  if (pending === null) return;
  owner.pending = null;
  owner.pendingBytes = 0;
  const socket = owner.socket;
  if (!socket.destroyed && socket.writable) {
    if (!Array.isArray(pending)) {
      socket.write(pending);
    } else if (pending.length <= 16 && totalLength(pending) <= 16 * 1024) {
      // Small frames: one contiguous copy is cheaper than a writev of many tiny iovecs.
      socket.write(Buffer.concat(pending));
    } else {
      socket.cork();
      for (let i = 0; i < pending.length; i++) socket.write(pending[i]!);
      socket.uncork();
    }
  }
  owner.afterFlush();
}

function totalLength(buffers: Buffer[]): number {
  let n = 0;
  for (let i = 0; i < buffers.length; i++) n += buffers[i]!.length;
  return n;
}

function flushAll(): void {
  flushScheduled = false;
  // Owners enqueued while flushing (from afterFlush callbacks) are picked up by the same loop.
  for (let i = 0; i < dirty.length; i++) flushWriter(dirty[i]!);
  dirty.length = 0;
}
