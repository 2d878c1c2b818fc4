/**
 * Runs one Autobahn-style case and judges it the way the fuzzingclient's strict "OK" does:
 * the events before the close frame must be exactly the expected ones, the close must come from
 * the expected side with the expected code, nothing may follow the close frame, and the server
 * must close TCP promptly (it is the side that drops the connection, RFC 6455 7.1.1).
 */
import assert from 'node:assert/strict';
import { RawClient } from './raw-client.js';

export type Expected = { kind: 'message'; binary: boolean; data: Buffer } | { kind: 'pong'; payload: Buffer };

/** A status code, or null for a close frame without one (a valid answer to an empty close). */
export type CloseCodeExpected = number | null;

export type CloseExpectation =
  /** The case closes (1000, or whatever it already sent); the server must answer with one of `codes`. */
  | { by: 'client'; codes?: readonly CloseCodeExpected[] }
  /** The server must fail / close the connection itself with one of `codes`. */
  | { by: 'server'; codes: readonly CloseCodeExpected[] };

export interface ConformanceCase {
  /** Autobahn case number, e.g. '5.19'. */
  id: string;
  title: string;
  /** Sec-WebSocket-Extensions offer for the handshake. */
  extensions?: string;
  /** Sends the case's bytes (and may assert on intermediate states, e.g. fail-fast). */
  send(client: RawClient): Promise<void>;
  expect: Expected[];
  close: CloseExpectation;
  /** Bound for the expected events to arrive (large messages need more). Default 2000 ms. */
  eventTimeoutMs?: number;
}

/** How long the server may take to answer a close or fail the connection, and then to drop TCP. */
/** The usual expectation for a violation: the server fails the connection with 1002. */
export const PROTOCOL_ERROR = { by: 'server', codes: [1002] } as const;

export const CLOSE_BOUND_MS = 2000;
const DEFAULT_EVENT_TIMEOUT_MS = 2000;

export const text = (data: string | Buffer): Expected => ({ kind: 'message', binary: false, data: Buffer.from(data) });
export const binary = (data: Buffer): Expected => ({ kind: 'message', binary: true, data });
export const pong = (payload: string | Buffer = ''): Expected => ({ kind: 'pong', payload: Buffer.from(payload) });

export interface RunOptions {
  /** Overrides CLOSE_BOUND_MS (the judge's self-test uses a short one). */
  closeBoundMs?: number;
}

export async function runCase(port: number, c: ConformanceCase, options: RunOptions = {}): Promise<void> {
  const bound = options.closeBoundMs ?? CLOSE_BOUND_MS;
  const client = await RawClient.open({ port, extensions: c.extensions });
  try {
    await c.send(client);
    if (c.close.by === 'client') {
      if (client.closeSentAt === null) {
        await client.waitForEvents(c.expect.length, c.eventTimeoutMs ?? DEFAULT_EVENT_TIMEOUT_MS);
        await client.settle();
        assert.equal(client.closeEvent, undefined, `server closed the connection unexpectedly: ${client.describe()}`);
        await client.sendClose(1000);
      }
      await client.waitForCloseFrame(bound);
      const codes = c.close.codes ?? [1000];
      assertCloseCode(client, codes);
    } else {
      await client.waitForCloseFrame(Math.max(bound, c.eventTimeoutMs ?? 0));
      assertCloseCode(client, c.close.codes);
    }
    await client.waitForTcpClose(bound);
    await client.settle();
    assert.deepEqual(client.violations, [], `server protocol violations: ${client.describe()}`);
    // A reset instead of a FIN can destroy data still in flight to us (the close frame itself).
    assert.equal(client.socketError, null, `socket error (connection reset?): ${client.describe()}`);
    assertEvents(client, c.expect);
  } finally {
    client.destroy();
  }
}

export function assertCloseCode(client: RawClient, codes: readonly CloseCodeExpected[]): void {
  const close = client.closeEvent;
  const wanted = codes.map((c) => c ?? 'none').join('/');
  assert.ok(close !== undefined, `expected a close frame with code ${wanted}, got ${client.describe()}`);
  assert.ok(codes.includes(close.code), `expected close code ${wanted}, got ${client.describe()}`);
}

export function assertEvents(client: RawClient, expected: Expected[]): void {
  const got = client.dataEvents;
  const summary = client.describe();
  assert.equal(got.length, expected.length, `expected ${expected.length} event(s) before the close, got ${summary}`);
  for (let i = 0; i < expected.length; i++) {
    const want = expected[i];
    const have = got[i];
    assert.equal(have.kind, want.kind, `event ${i}: expected ${want.kind}, got ${summary}`);
    if (want.kind === 'message' && have.kind === 'message') {
      assert.equal(have.binary, want.binary, `event ${i}: wrong message type, got ${summary}`);
      assert.ok(have.data.equals(want.data), `event ${i}: echoed payload differs (${have.data.length} vs ${want.data.length} bytes)`);
    } else if (want.kind === 'pong' && have.kind === 'pong') {
      assert.ok(have.payload.equals(want.payload), `event ${i}: pong payload differs, got ${summary}`);
    }
  }
}
