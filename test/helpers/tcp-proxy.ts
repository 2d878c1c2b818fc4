/**
 * A TCP proxy on 127.0.0.1 that a test controls, to put network faults between a client and a real
 * server:
 *  - forward(): pass bytes both ways (the default);
 *  - cut(): destroy every connection it holds (new ones are accepted as usual);
 *  - blackhole(): stop forwarding without closing anything, like a partition: connections, old and
 *    new, stay open but no byte moves (they are paused, so the bytes wait in the kernel as TCP would
 *    keep retransmitting them) until forward() or cut();
 *  - slow(ms): deliver every chunk `ms` later, in order.
 */
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

export type ProxyMode = { kind: 'forward' } | { kind: 'blackhole' } | { kind: 'slow'; delayMs: number };

export interface TcpProxy {
  readonly port: number;
  /** ws://127.0.0.1:port/ (the path and query of `path` appended). */
  url(path?: string): string;
  readonly mode: ProxyMode;
  /** Connections accepted since the start. */
  readonly accepted: number;
  /** Connections open now. */
  readonly open: number;
  forward(): void;
  blackhole(): void;
  slow(delayMs: number): void;
  cut(): void;
  close(): Promise<void>;
}

interface Pair {
  client: Socket;
  upstream: Socket;
  timers: Set<NodeJS.Timeout>;
}

export async function startTcpProxy(target: { host?: string; port: number }): Promise<TcpProxy> {
  const host = target.host ?? '127.0.0.1';
  let mode: ProxyMode = { kind: 'forward' };
  let accepted = 0;
  const pairs = new Set<Pair>();

  const destroy = (pair: Pair): void => {
    if (!pairs.delete(pair)) return;
    for (const timer of pair.timers) clearTimeout(timer);
    pair.client.destroy();
    pair.upstream.destroy();
  };

  const applyMode = (pair: Pair): void => {
    if (mode.kind === 'blackhole') {
      pair.client.pause();
      pair.upstream.pause();
    } else {
      pair.client.resume();
      pair.upstream.resume();
    }
  };

  /** Bytes read from `from` go to `to`, now or (slow mode) later, always in order; so does the end. */
  const relay = (pair: Pair, from: Socket, to: Socket): void => {
    const queue: Array<{ chunk: Buffer; at: number }> = [];
    let ended = false;
    const drainQueue = (): void => {
      const now = Date.now();
      while (queue.length > 0 && queue[0]!.at <= now) to.write(queue.shift()!.chunk);
      if (queue.length === 0 && ended) to.end();
      if (queue.length > 0) {
        const timer = setTimeout(() => {
          pair.timers.delete(timer);
          drainQueue();
        }, queue[0]!.at - now);
        pair.timers.add(timer);
      }
    };
    from.on('data', (chunk: Buffer) => {
      const delayMs = mode.kind === 'slow' ? mode.delayMs : 0;
      if (delayMs === 0 && queue.length === 0) {
        // Backpressure: a reader that does not keep up slows the writer down, as on a real link.
        if (!to.write(chunk)) {
          from.pause();
          to.once('drain', () => {
            if (mode.kind !== 'blackhole') from.resume();
          });
        }
        return;
      }
      const wasEmpty = queue.length === 0;
      queue.push({ chunk, at: Date.now() + delayMs });
      if (wasEmpty) drainQueue();
    });
    from.on('end', () => {
      ended = true;
      if (queue.length === 0) to.end();
    });
  };

  const server: Server = createServer((client) => {
    accepted++;
    const upstream = connect({ host, port: target.port });
    const pair: Pair = { client, upstream, timers: new Set() };
    pairs.add(pair);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    relay(pair, client, upstream);
    relay(pair, upstream, client);
    for (const socket of [client, upstream]) {
      // A reset on one side resets the other; an orderly end travels through relay() like data.
      socket.on('error', () => destroy(pair));
      socket.on('close', () => {
        if (client.destroyed && upstream.destroyed) pairs.delete(pair);
      });
    }
    applyMode(pair);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  const setMode = (next: ProxyMode): void => {
    mode = next;
    for (const pair of pairs) applyMode(pair);
  };

  return {
    port,
    url: (path = '/') => `ws://127.0.0.1:${port}${path}`,
    get mode() {
      return mode;
    },
    get accepted() {
      return accepted;
    },
    get open() {
      return pairs.size;
    },
    forward: () => setMode({ kind: 'forward' }),
    blackhole: () => setMode({ kind: 'blackhole' }),
    slow: (delayMs) => setMode({ kind: 'slow', delayMs }),
    cut: () => {
      for (const pair of [...pairs]) destroy(pair);
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const pair of [...pairs]) destroy(pair);
        server.close(() => resolve());
      }),
  };
}
