import type { EventEmitter } from 'node:events';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Resolves with the arguments of the next `event`, rejects after `timeoutMs` naming what was awaited. */
export function nextEvent<T extends unknown[] = unknown[]>(emitter: EventEmitter, event: string, timeoutMs = 5000): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.removeListener(event, onEvent);
      reject(new Error(`timed out after ${timeoutMs} ms waiting for '${event}'`));
    }, timeoutMs);
    function onEvent(...args: unknown[]): void {
      clearTimeout(timer);
      resolve(args as T);
    }
    emitter.once(event, onEvent);
  });
}

/** Collects the next `count` emissions of `event`. */
export function collectEvents<T extends unknown[] = unknown[]>(emitter: EventEmitter, event: string, count: number, timeoutMs = 5000): Promise<T[]> {
  return new Promise<T[]>((resolve, reject) => {
    const seen: T[] = [];
    const timer = setTimeout(() => {
      emitter.removeListener(event, onEvent);
      reject(new Error(`timed out after ${timeoutMs} ms: got ${seen.length}/${count} '${event}' events`));
    }, timeoutMs);
    function onEvent(...args: unknown[]): void {
      seen.push(args as T);
      if (seen.length === count) {
        clearTimeout(timer);
        emitter.removeListener(event, onEvent);
        resolve(seen);
      }
    }
    emitter.on(event, onEvent);
  });
}

/** An HTTP server listening on 127.0.0.1 with an ephemeral port. */
export async function listenHttp(handler?: RequestListener): Promise<{ server: Server; port: number; close(): Promise<void> }> {
  const server = createServer(
    handler ??
      ((_req, res) => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('plain http');
      }),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Polls a condition that another process reports (an HTTP status, a count) until `probe` returns a
 * value, and returns it. Bounded by `timeoutMs`; a probe that throws counts as "not yet".
 */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 10_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
