// When the client retries and when it stops, the backoff with jitter, the command promises and the
// token helpers: unit tests over a fake socket and pure functions.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { backoffDelay, DEFAULT_RECONNECT, jwtExpiry, TickstreamClient, TickstreamError, type StateEvent } from '../../src/client/index.js';
import { reconnectOptions, retryAfterDelay } from '../../src/client/backoff.js';
import type { ConnectFailure } from '../../src/client/retry.js';
import { base64UrlDecode, refreshDelay } from '../../src/client/token.js';
import { FakeNetwork, snapshot, welcome, within } from './fake-socket.js';

function setup(options: { token?: string; getToken?: () => string | Promise<string>; maxAttempts?: number } = {}): { client: TickstreamClient; net: FakeNetwork; states: StateEvent[] } {
  const net = new FakeNetwork();
  const client = new TickstreamClient({
    url: 'ws://quotes.test/',
    symbols: ['AAPL'],
    interval: 0,
    socket: net.factory,
    reconnect: { initialDelayMs: 5, maxDelayMs: 10, ...(options.maxAttempts !== undefined ? { maxAttempts: options.maxAttempts } : {}) },
    ...(options.token !== undefined ? { token: options.token } : {}),
    ...(options.getToken !== undefined ? { getToken: options.getToken } : {}),
  });
  const states: StateEvent[] = [];
  client.on('state', (e) => states.push(e));
  return { client, net, states };
}

/** Starts a client, fails its first connection with `failure`, and returns the state that follows. */
async function after(failure: ConnectFailure, options: Parameters<typeof setup>[0] = {}): Promise<StateEvent> {
  const { client, net } = setup(options);
  const next = client.next('state', (e) => e.state === 'reconnecting' || e.state === 'stopped');
  client.start();
  (await net.connection(0)).fail(failure);
  const state = await within(next, 'the decision');
  client.stop();
  return state;
}

describe('stop rules', { timeout: 20_000 }, () => {
  const stops: Array<[string, ConnectFailure, string, RegExp]> = [
    ['401 with a token', { kind: 'http', status: 401, statusText: 'Unauthorized', reason: 'invalid token' }, 'token_refused', /^token refused: HTTP 401 Unauthorized: invalid token$/],
    ['403', { kind: 'http', status: 403, statusText: 'Forbidden' }, 'forbidden', /^forbidden: HTTP 403/],
    ['400', { kind: 'http', status: 400 }, 'bad_request', /^request refused: HTTP 400/],
    ['404', { kind: 'http', status: 404 }, 'not_found', /HTTP 404/],
    ['close 1002', { kind: 'close', code: 1002, reason: '' }, 'protocol_error', /closed 1002/],
    ['close 1003', { kind: 'close', code: 1003, reason: '' }, 'unsupported_data', /closed 1003/],
    ['close 1007', { kind: 'close', code: 1007, reason: '' }, 'invalid_data', /closed 1007/],
    ['close 1009', { kind: 'close', code: 1009, reason: '' }, 'message_too_big', /closed 1009/],
    ['close 1010', { kind: 'close', code: 1010, reason: '' }, 'extension_required', /closed 1010/],
    ['close 4003', { kind: 'close', code: 4003, reason: 'forbidden' }, 'forbidden', /closed 4003/],
    ['close 4001 without getToken', { kind: 'close', code: 4001, reason: 'token expired' }, 'token_expired', /^token expired: closed 4001 token expired$/],
  ];
  for (const [name, failure, cause, reason] of stops) {
    test(`${name} → stopped (${cause})`, async () => {
      const state = await after(failure, { token: 'secret-token' });
      assert.equal(state.state, 'stopped');
      assert.equal(state.cause, cause);
      assert.match(state.reason ?? '', reason);
    });
  }

  test('401 without any token says a token is required', async () => {
    const state = await after({ kind: 'http', status: 401, reason: 'missing token' });
    assert.equal(state.cause, 'token_missing');
    assert.match(state.reason ?? '', /^token required: HTTP 401/);
  });

  const retries: Array<[string, ConnectFailure]> = [
    ['close 1000', { kind: 'close', code: 1000, reason: '' }],
    ['close 1001', { kind: 'close', code: 1001, reason: 'server shutting down' }],
    ['close 1006 (a browser failure, a dropped TCP connection)', { kind: 'close', code: 1006, reason: '' }],
    ['close 1008 slow consumer', { kind: 'close', code: 1008, reason: 'slow consumer' }],
    ['close 1011', { kind: 'close', code: 1011, reason: '' }],
    ['a browser that could not connect', { kind: 'network', message: 'could not connect' }],
    ['connection refused', { kind: 'network', message: 'connect ECONNREFUSED', code: 'ECONNREFUSED' }],
    ['503 without Retry-After', { kind: 'http', status: 503 }],
  ];
  for (const [name, failure] of retries) {
    test(`${name} → reconnecting`, async () => {
      const state = await after(failure);
      assert.equal(state.state, 'reconnecting');
      assert.ok((state.delayMs ?? -1) >= 0 && (state.delayMs ?? 99) <= 10, `backoff delay ${state.delayMs}`);
    });
  }

  test('429 and 503 wait for Retry-After (plus at most 10 %)', async () => {
    for (const status of [429, 503]) {
      const state = await after({ kind: 'http', status, retryAfter: '2' });
      assert.equal(state.state, 'reconnecting');
      assert.ok(state.delayMs! >= 2_000 && state.delayMs! <= 2_200, `delay ${state.delayMs}`);
    }
  });

  test('4001 with getToken: a new token and an immediate reconnect', async () => {
    let n = 0;
    const { client, net } = setup({ getToken: () => `token-${++n}` });
    client.start();
    const first = (await net.connection(0)).open();
    assert.equal(first.request.token, 'token-1');
    first.deliver(welcome({ symbols: ['AAPL'] }), snapshot(5, [['AAPL', 1]]));
    const reconnecting = client.next('state', (e) => e.state === 'reconnecting');
    first.fail({ kind: 'close', code: 4001, reason: 'token expired' });
    assert.equal((await reconnecting).delayMs, 0);
    const second = await net.connection(1);
    assert.equal(second.request.token, 'token-2');
    assert.equal(second.query.get('since'), 'E1:5');
    client.stop();
  });

  test('a getToken that throws is a failed attempt: reported, retried with backoff', async () => {
    let calls = 0;
    const { client, net } = setup({
      getToken: () => {
        if (++calls === 1) throw new Error('auth service down');
        return 'fresh';
      },
    });
    const error = client.next('error');
    client.start();
    const event = await within(error, 'the error event');
    assert.equal(event.source, 'client');
    assert.equal(event.code, 'token_unavailable');
    assert.equal(event.message, 'getToken failed: auth service down');
    const conn = await net.connection(0);
    assert.equal(conn.request.token, 'fresh');
    client.stop();
  });

  test('maxAttempts: failures in a row that never got through stop the client', async () => {
    const { client, net } = setup({ maxAttempts: 3 });
    const stopped = client.next('state', (e) => e.state === 'stopped');
    client.start();
    for (let i = 0; i < 3; i++) (await net.connection(i)).fail({ kind: 'close', code: 1006, reason: '' });
    const state = await within(stopped, 'the stop');
    assert.equal(state.cause, 'max_attempts');
    assert.match(state.reason ?? '', /^gave up after 3 failed attempts: closed 1006/);
    assert.equal(net.connections.length, 3);
  });

  test('a connection that got through starts the attempt count over', async () => {
    const { client, net } = setup({ maxAttempts: 2 });
    client.start();
    (await net.connection(0)).fail({ kind: 'network', message: 'refused' });
    const second = (await net.connection(1)).open();
    second.deliver(welcome({ symbols: ['AAPL'] }), snapshot(1, [['AAPL', 1]]));
    second.fail({ kind: 'close', code: 1006, reason: '' });
    const third = await net.connection(2);
    assert.equal(client.state, 'connecting');
    third.fail({ kind: 'close', code: 1006, reason: '' });
    (await net.connection(3)).fail({ kind: 'close', code: 1006, reason: '' });
    assert.equal(client.state, 'stopped');
  });
});

describe('command promises', { timeout: 20_000 }, () => {
  test('queued until the welcome, matched by id, rejected by an error with that id', async () => {
    const { client, net } = setup();
    await assert.rejects(client.ping(), (e: TickstreamError) => e.code === 'not_started');
    client.start();
    const conn = (await net.connection(0)).open();
    const pong = client.ping();
    const refused = client.subscribe(['AAPL', 'ZZZZ']);
    assert.equal(conn.sent.length, 0, 'nothing is sent before the welcome');
    conn.deliver(welcome({ symbols: ['AAPL'] }), snapshot(1, [['AAPL', 1]]));
    assert.deepEqual(conn.sent.map((c) => c.type), ['ping', 'subscribe']);
    const [pingId, subId] = conn.sent.map((c) => c.id as number);
    conn.deliver({ type: 'error', id: subId!, code: 'too_many_symbols', message: 'at most 1 symbols per client' });
    conn.deliver({ type: 'pong', id: pingId!, ts: 1234 });
    assert.equal(await pong, 1234);
    await assert.rejects(refused, (e: TickstreamError) => e instanceof TickstreamError && e.code === 'too_many_symbols' && /at most 1/.test(e.message));
    client.stop();
  });

  test('an error for no pending command is an error event with the symbols it names', async () => {
    const { client, net } = setup();
    client.start();
    const conn = (await net.connection(0)).open();
    const error = client.next('error');
    conn.deliver(welcome({ symbols: ['AAPL'] }), snapshot(1, [['AAPL', 1]]), { type: 'error', code: 'unknown_symbol', message: 'unknown symbols', symbols: ['NOPE'] });
    assert.deepEqual(await error, { source: 'server', code: 'unknown_symbol', message: 'unknown symbols', symbols: ['NOPE'] });
    client.stop();
  });

  test('a command in flight rejects when its connection closes; stop() rejects the rest', async () => {
    const { client, net } = setup();
    client.start();
    const conn = (await net.connection(0)).open();
    conn.deliver(welcome({ symbols: ['AAPL'] }), snapshot(1, [['AAPL', 1]]));
    const inFlight = client.snapshot();
    conn.fail({ kind: 'close', code: 1006, reason: '' });
    await assert.rejects(inFlight, (e: TickstreamError) => e.code === 'connection_closed');
    const queued = client.setInterval(250);
    client.stop();
    await assert.rejects(queued, (e: TickstreamError) => e.code === 'stopped');
    await assert.rejects(client.ping(), (e: TickstreamError) => e.code === 'stopped');
    await assert.rejects(client.setInterval(5), (e: TickstreamError) => e.code === 'invalid_argument');
  });
});

describe('backoff with jitter', { timeout: 10_000 }, () => {
  const options = { initialDelayMs: 100, maxDelayMs: 1_000, factor: 2, jitter: 0.5 };

  test('the ceiling doubles per attempt up to the maximum', () => {
    const top = (attempt: number): number => backoffDelay(attempt, options, () => 0);
    assert.deepEqual([0, 1, 2, 3, 4, 5, 50, 5000].map(top), [100, 200, 400, 800, 1000, 1000, 1000, 1000]);
  });

  test('jitter takes up to its share off the ceiling, uniformly', () => {
    assert.equal(backoffDelay(2, options, () => 1), 200);
    assert.equal(backoffDelay(2, options, () => 0.5), 300);
    assert.equal(backoffDelay(2, { ...options, jitter: 0 }, () => 0.99), 400);
    assert.equal(backoffDelay(2, { ...options, jitter: 1 }, () => 1), 0);
    const seen = new Set<number>();
    for (let i = 0; i < 500; i++) {
      const d = backoffDelay(3, options);
      assert.ok(d >= 400 && d <= 800, `delay ${d}`);
      seen.add(Math.floor((d - 400) / 40));
    }
    assert.equal(seen.size >= 9, true, 'spread over the whole range');
  });

  test('Retry-After is never shortened and stretched by at most 10 %', () => {
    assert.equal(retryAfterDelay(1_000, () => 0), 1_000);
    assert.equal(retryAfterDelay(1_000, () => 1), 1_100);
  });

  test('defaults, and nonsense refused at construction', () => {
    assert.deepEqual(reconnectOptions(), { ...DEFAULT_RECONNECT });
    assert.equal(reconnectOptions({ maxAttempts: 3 }).maxAttempts, 3);
    for (const bad of [{ initialDelayMs: -1 }, { maxDelayMs: 1, initialDelayMs: 5 }, { factor: 0.5 }, { jitter: 1.5 }, { maxAttempts: 0 }, { maxAttempts: 1.5 }]) {
      assert.throws(() => reconnectOptions(bad), RangeError, JSON.stringify(bad));
    }
    assert.throws(() => new TickstreamClient({ url: 'ws://h/', interval: 5 }), RangeError);
    assert.throws(() => new TickstreamClient({ url: 'ftp://h/' }), TypeError);
  });
});

describe('token helpers', { timeout: 10_000 }, () => {
  const jwt = (payload: object): string => `eyJhbGciOiJIUzI1NiJ9.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.c2ln`;

  test('jwtExpiry reads exp without verifying; anything else is undefined', () => {
    assert.equal(jwtExpiry(jwt({ sub: 'alice', exp: 1_800_000_000 })), 1_800_000_000_000);
    assert.equal(jwtExpiry(jwt({ sub: 'ålice ✓', exp: 5 })), 5_000);
    assert.equal(jwtExpiry(jwt({ sub: 'alice' })), undefined);
    assert.equal(jwtExpiry(jwt({ exp: '5' })), undefined);
    assert.equal(jwtExpiry('a-static-token'), undefined);
    assert.equal(jwtExpiry('a.!!!.c'), undefined);
  });

  test('base64url without padding, multi-byte UTF-8', () => {
    for (const text of ['', 'a', 'ab', 'abc', 'abcd', '{"x":"✓ 株"}']) {
      assert.equal(base64UrlDecode(Buffer.from(text).toString('base64url')), text);
    }
    assert.equal(base64UrlDecode('a'), undefined);
  });

  test('refreshDelay: aheadMs before expiry, never in the first half of what is left, nothing when too late', () => {
    assert.equal(refreshDelay(3_600_000, 0, 60_000), 3_540_000);
    assert.equal(refreshDelay(10_000, 0, 60_000), 5_000);
    assert.equal(refreshDelay(500, 0, 60_000), undefined);
  });
});
