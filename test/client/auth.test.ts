// Tokens against a real server: a refused static token stops the client with a clear reason, a JWT
// that expires (4001) stops it without getToken and is replaced with getToken, an in-band refresh
// keeps the connection past the first token's expiry, and a 429 is retried after its Retry-After.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SignJWT } from 'jose';
import type { TickstreamServer } from '../../src/app/server.js';
import { TickstreamClient, type StateEvent, type TickstreamClientOptions } from '../../src/client/node.js';
import { openClient, startTestServer } from '../helpers/server.js';
import { within } from './fake-socket.js';

const SECRET = 'a-test-secret-that-is-long-enough-for-hs256';
const KEY = new TextEncoder().encode(SECRET);

async function jwt(expiresInSec: number, sub = 'alice'): Promise<string> {
  return new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(sub).setIssuedAt().setExpirationTime(Math.floor(Date.now() / 1000) + expiresInSec).sign(KEY);
}

function client(url: string, options: Partial<TickstreamClientOptions> = {}): { client: TickstreamClient; states: StateEvent[] } {
  const c = new TickstreamClient({ url, symbols: ['AAPL'], interval: 0, reconnect: { initialDelayMs: 50, maxDelayMs: 100 }, ...options });
  const states: StateEvent[] = [];
  c.on('state', (e) => states.push(e));
  return { client: c, states };
}

async function startedUntil(c: TickstreamClient, state: StateEvent['state'], what: string, ms = 5_000): Promise<StateEvent> {
  const next = c.next('state', (e) => e.state === state);
  c.start();
  return within(next, what, ms);
}

describe('static token (--auth-token)', { timeout: 20_000 }, () => {
  let server: TickstreamServer;
  before(async () => {
    server = await startTestServer({ appHeartbeatMs: 0, authToken: 'the-right-token' });
  });
  after(() => server.close());

  test('a refused token stops the client: "token refused: ..."', async () => {
    const { client: c, states } = client(server.wsUrl, { token: 'a-wrong-token' });
    const stopped = await startedUntil(c, 'stopped', 'the stop');
    assert.equal(stopped.cause, 'token_refused');
    assert.match(stopped.reason ?? '', /^token refused: HTTP 401 Unauthorized: invalid token$/);
    assert.equal(states.filter((s) => s.state === 'connecting').length, 1, 'no retry');
  });

  test('no token: "token required: ..."', async () => {
    const stopped = await startedUntil(client(server.wsUrl).client, 'stopped', 'the stop');
    assert.equal(stopped.cause, 'token_missing');
    assert.match(stopped.reason ?? '', /^token required: HTTP 401 Unauthorized: missing token$/);
  });

  test('the right token, sent as Authorization: Bearer, gets through', async () => {
    const { client: c } = client(server.wsUrl, { token: 'the-right-token' });
    await startedUntil(c, 'live', 'live');
    assert.ok(c.last('AAPL'));
    c.stop();
  });
});

describe('JWT expiry and refresh', { timeout: 30_000 }, () => {
  let server: TickstreamServer;
  before(async () => {
    server = await startTestServer({ appHeartbeatMs: 0, jwt: { secret: SECRET } });
  });
  after(() => server.close());

  test('4001 without getToken: the client stops, saying the token expired', async () => {
    const { client: c } = client(server.wsUrl, { token: await jwt(2) });
    await startedUntil(c, 'live', 'live');
    const stopped = await within(c.next('state', (e) => e.state === 'stopped'), 'the 4001 stop', 5_000);
    assert.equal(stopped.cause, 'token_expired');
    assert.match(stopped.reason ?? '', /^token expired: closed 4001 token expired$/);
  });

  test('4001 with getToken (in-band refresh off): a new token, a reconnect that resumes with since', async () => {
    const issued: string[] = [];
    const { client: c } = client(server.wsUrl, {
      getToken: async () => {
        const token = await jwt(issued.length === 0 ? 2 : 60);
        issued.push(token);
        return token;
      },
      refreshAheadMs: 0,
    });
    const recovered = c.next('message', (m) => m.type === 'snapshot' && m.recovered === true);
    await startedUntil(c, 'live', 'live');
    const reconnecting = await within(c.next('state', (e) => e.state === 'reconnecting'), 'the 4001', 5_000);
    assert.match(reconnecting.reason ?? '', /token expired; reconnecting with a new token/);
    assert.equal(reconnecting.delayMs, 0);
    await within(recovered, 'the recovered snapshot of the second connection');
    assert.equal(c.state, 'live');
    assert.equal(issued.length, 2);
    c.stop();
  });

  test('with getToken the JWT is refreshed in-band before it expires: one connection throughout', async () => {
    let calls = 0;
    const { client: c, states } = client(server.wsUrl, { getToken: () => jwt(++calls === 1 ? 3 : 60) });
    const refreshed = c.next('refreshed');
    await startedUntil(c, 'live', 'live');
    const firstExpiry = Date.now() + 3_000;
    const event = await within(refreshed, 'the refresh', 5_000);
    assert.equal(event.sub, 'alice');
    assert.ok((event.expiresAt ?? 0) > Date.now() + 50_000);
    // Past the first token's expiry, still the same connection: quotes keep coming.
    while (Date.now() < firstExpiry + 500) await within(c.next('quotes'), 'quotes', 3_000);
    assert.equal(states.filter((s) => s.state === 'connecting').length, 1, 'never reconnected');
    assert.equal(c.state, 'live');
    assert.equal(calls, 2);
    c.stop();
  });
});

describe('429 with Retry-After', { timeout: 20_000 }, () => {
  test('the client waits as long as the server asks, then gets in', async () => {
    const server = await startTestServer({ appHeartbeatMs: 0, handshakeRatePerSec: 1, handshakeBurst: 1 });
    try {
      const holder = await openClient(`${server.wsUrl}?symbols=AAPL`); // takes the one handshake of this second
      const { client: c } = client(server.wsUrl);
      const reconnecting = await startedUntil(c, 'reconnecting', 'the 429');
      assert.match(reconnecting.reason ?? '', /^HTTP 429/);
      assert.ok(reconnecting.delayMs! >= 1_000 && reconnecting.delayMs! <= 1_100, `delay ${reconnecting.delayMs}`);
      await within(c.next('state', (e) => e.state === 'live'), 'live after Retry-After');
      c.stop();
      await holder.close();
    } finally {
      await server.close();
    }
  });
});
