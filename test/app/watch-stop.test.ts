// `tickstream watch` as a child process against stub servers: when it stops retrying (401, 403,
// close 4001), when it retries (503 + Retry-After, close 1001), and that its token travels as an
// Authorization header and never shows in its output.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { WebSocketServer, type UpgradeRequest, type VerifyResult, type WebSocketConnection } from '../../src/transport/index.js';
import { listenHttp } from '../helpers/events.js';
import { spawnCli, type SpawnedCli } from '../helpers/server.js';

interface Attempt {
  url: string;
  authorization: string | undefined;
  at: number;
}

/** A WebSocket endpoint whose answer to the n-th upgrade (1-based) and n-th connection each test scripts. */
async function stubServer(script: {
  verify?: (n: number, req: UpgradeRequest) => VerifyResult;
  connection?: (conn: WebSocketConnection, n: number) => void;
}) {
  const http = await listenHttp();
  const attempts: Attempt[] = [];
  let tcp = 0;
  const wakers: Array<() => void> = [];
  const wss = new WebSocketServer({
    server: http.server,
    heartbeatIntervalMs: 0,
    verify: (req) => {
      attempts.push({ url: req.url ?? '', authorization: req.headers.authorization, at: performance.now() });
      for (const wake of wakers.splice(0)) wake();
      return script.verify?.(attempts.length, req) ?? true;
    },
  });
  http.server.on('connection', () => tcp++);
  wss.on('connection', (conn) => script.connection?.(conn, attempts.length));
  return {
    url: `ws://127.0.0.1:${http.port}`,
    attempts,
    tcpConnections: () => tcp,
    /** Resolves once `n` upgrade requests arrived. */
    async waitForAttempts(n: number, timeoutMs = 10_000): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      while (attempts.length < n) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`timed out waiting for ${n} upgrade attempts (got ${attempts.length})`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          wakers.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
    },
    async close(): Promise<void> {
      await wss.close();
      await http.close();
    },
  };
}

/** The quote messages a tickstream server would send, enough for the watcher to print a line. */
function sendQuote(conn: WebSocketConnection, last: number): void {
  conn.send(JSON.stringify({ type: 'welcome', server: 'stub', epoch: 'e1', feed: { state: 'up' } }));
  conn.send(JSON.stringify({ type: 'snapshot', quotes: [{ symbol: 'AAPL', last, change: 0, changePct: 0, volume: 1, ts: Date.now(), seq: 1 }] }));
}

/** Resolves once the CLI's stderr (so far or later) matches; rejects if it exits first. */
function waitForStderr(cli: SpawnedCli, pattern: RegExp, timeoutMs = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error(`timed out waiting for ${pattern}; stderr: ${cli.stderr()}`)), timeoutMs);
    const check = (): void => {
      if (pattern.test(cli.stderr())) finish();
    };
    const onExit = (): void => finish(new Error(`CLI exited; stderr: ${cli.stderr()}`));
    function finish(error?: Error): void {
      clearTimeout(timer);
      cli.child.stderr!.off('data', check);
      cli.child.off('exit', onExit);
      if (error) reject(error);
      else resolve();
    }
    cli.child.stderr!.on('data', check);
    cli.child.once('exit', onExit);
    check();
  });
}

/** The watcher as a child process; `closed` resolves once its stdout and stderr are fully read. */
function spawnWatch(args: readonly string[], env: NodeJS.ProcessEnv = {}): SpawnedCli & { closed: Promise<void> } {
  const cli = spawnCli(['watch', ...args], env);
  const closed = new Promise<void>((resolve) => cli.child.once('close', () => resolve()));
  return Object.assign(cli, { closed });
}

/** The exit code once all output is in, or a rejection naming the CLI's stderr when it does not exit in time. */
async function exitWithin(cli: SpawnedCli & { closed: Promise<void> }, timeoutMs: number): Promise<number | string> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the watcher did not exit within ${timeoutMs} ms; stderr: ${cli.stderr()}`)), timeoutMs);
  });
  try {
    const [code] = await Promise.race([Promise.all([cli.exited, cli.closed]), timeout]);
    return code;
  } finally {
    clearTimeout(timer);
  }
}

describe('tickstream watch stops on answers that retrying cannot change', () => {
  test('401 → exit 1 after exactly one attempt, naming --token and TICKSTREAM_AUTH_TOKEN', { timeout: 20_000 }, async () => {
    const server = await stubServer({ verify: () => ({ status: 401, message: 'missing token' }) });
    const started = performance.now();
    const cli = spawnWatch([server.url, 'AAPL', '--json'], { TICKSTREAM_AUTH_TOKEN: '' });
    try {
      assert.equal(await exitWithin(cli, 10_000), 1);
      assert.ok(performance.now() - started < 8_000, 'exits quickly, without a backoff');
      const stderr = cli.stderr();
      assert.match(stderr, /HTTP 401 Unauthorized: missing token/);
      assert.match(stderr, /TICKSTREAM_AUTH_TOKEN/);
      assert.match(stderr, /--token/);
      assert.doesNotMatch(stderr, /reconnecting/);
      assert.equal(server.attempts.length, 1, 'exactly one upgrade attempt');
      assert.equal(server.tcpConnections(), 1, 'exactly one TCP connection');
      assert.deepEqual(cli.lines, [], 'nothing on stdout');
    } finally {
      cli.kill();
      await server.close();
    }
  });

  test('403 → exit 1 after exactly one attempt, with the server reason', { timeout: 20_000 }, async () => {
    const server = await stubServer({ verify: () => ({ status: 403, message: 'origin https://evil.example is not allowed' }) });
    const cli = spawnWatch([server.url, 'AAPL', '--json']);
    try {
      assert.equal(await exitWithin(cli, 10_000), 1);
      const stderr = cli.stderr();
      assert.match(stderr, /HTTP 403 Forbidden: origin https:\/\/evil\.example is not allowed/);
      assert.match(stderr, /origin or entitlement/);
      assert.equal(server.attempts.length, 1);
    } finally {
      cli.kill();
      await server.close();
    }
  });

  test('404 (wrong path) → exit 1 after one attempt', { timeout: 20_000 }, async () => {
    const server = await stubServer({ verify: () => ({ status: 404, message: 'no WebSocket endpoint at this path' }) });
    const cli = spawnWatch([`${server.url}/nope`, '--json']);
    try {
      assert.equal(await exitWithin(cli, 10_000), 1);
      assert.match(cli.stderr(), /HTTP 404 Not Found: no WebSocket endpoint at this path\n {2}check the URL's path/);
      assert.equal(server.attempts.length, 1);
    } finally {
      cli.kill();
      await server.close();
    }
  });

  test('close 4001 (token expired) → exit 1 with the code, the reason and "get a new token"', { timeout: 20_000 }, async () => {
    const server = await stubServer({ connection: (conn) => conn.close(4001, 'token expired') });
    const cli = spawnWatch([server.url, 'AAPL', '--json']);
    try {
      assert.equal(await exitWithin(cli, 10_000), 1);
      const stderr = cli.stderr();
      assert.match(stderr, /giving up on ws:\/\/127\.0\.0\.1:\d+\/\?symbols=AAPL: closed 4001 token expired/);
      assert.match(stderr, /get a new token/);
      assert.equal(server.attempts.length, 1);
    } finally {
      cli.kill();
      await server.close();
    }
  });
});

describe('tickstream watch retries what may pass', () => {
  test('503 with Retry-After: 1 → the next attempt comes no sooner than 1 s later', { timeout: 20_000 }, async () => {
    const server = await stubServer({
      verify: (n) => (n === 1 ? { status: 503, message: 'too many connections', headers: { 'Retry-After': '1' } } : true),
      connection: (conn) => sendQuote(conn, 101.5),
    });
    const cli = spawnWatch([server.url, 'AAPL', '--json']);
    try {
      await waitForStderr(cli, /disconnected \(HTTP 503 Service Unavailable: too many connections\); reconnecting in 1s/);
      const line = await cli.waitForLine(() => true, 10_000);
      assert.equal((JSON.parse(line) as { last: number }).last, 101.5);
      assert.equal(server.attempts.length, 2);
      const gap = server.attempts[1]!.at - server.attempts[0]!.at;
      // ≥ 1 s by the watcher's clock; a millisecond of slack for the two processes' timer rounding.
      assert.ok(gap >= 999, `second attempt ${gap.toFixed(0)} ms after the first`);
      cli.child.kill('SIGINT');
      assert.equal(await exitWithin(cli, 10_000), 0);
    } finally {
      cli.kill();
      await server.close();
    }
  });

  test('close 1001 → reconnects and resumes; Ctrl-C still exits 0', { timeout: 20_000 }, async () => {
    const server = await stubServer({
      connection: (conn, n) => {
        if (n === 1) conn.close(1001, 'server shutting down');
        else sendQuote(conn, 202.25);
      },
    });
    const cli = spawnWatch([server.url, 'AAPL', '--json']);
    try {
      await waitForStderr(cli, /closed 1001 server shutting down\); reconnecting in \d+s/);
      const line = await cli.waitForLine(() => true, 10_000);
      assert.equal((JSON.parse(line) as { last: number }).last, 202.25);
      assert.equal(server.attempts.length, 2);
      cli.child.kill('SIGINT');
      assert.equal(await exitWithin(cli, 10_000), 0);
    } finally {
      cli.kill();
      await server.close();
    }
  });
});

describe('tickstream watch authenticates with a bearer token it never prints', () => {
  const TOKEN = 'tk_live_7f3b9c2e41d8a6f0';

  test('TICKSTREAM_AUTH_TOKEN travels as Authorization: Bearer, not in the URL, and is scrubbed from what the server echoes', { timeout: 20_000 }, async () => {
    const server = await stubServer({
      verify: (_n, req) => (req.headers.authorization === `Bearer ${TOKEN}` ? true : { status: 401, message: 'invalid token' }),
      connection: (conn, n) => {
        if (n === 1) sendQuote(conn, 303.75);
        // A careless server that echoes the token in its close reason: the watcher must not print it.
        setImmediate(() => conn.close(4001, `token ${TOKEN} expired`));
      },
    });
    const cli = spawnWatch([server.url, 'AAPL', '--json'], { TICKSTREAM_AUTH_TOKEN: TOKEN });
    try {
      assert.equal(await exitWithin(cli, 10_000), 1);
      assert.equal(server.attempts.length, 1);
      assert.equal(server.attempts[0]!.authorization, `Bearer ${TOKEN}`);
      assert.ok(!server.attempts[0]!.url.includes(TOKEN), 'the token is not in the request URL');
      assert.equal((JSON.parse(cli.lines[0] ?? '{}') as { last?: number }).last, 303.75);
      const output = cli.lines.join('\n') + cli.stderr();
      assert.ok(!output.includes(TOKEN), `the token appears in the output:\n${output}`);
      assert.match(cli.stderr(), /closed 4001 token \*\*\* expired/);
    } finally {
      cli.kill();
      await server.close();
    }
  });

  test('--token wins over the env var; a ?token= in the URL is redacted in the table title and the error', { timeout: 20_000 }, async () => {
    const URL_TOKEN = 'urlsecret_9d1e77b0';
    const ENV_TOKEN = 'envsecret_0a4c6612';
    const server = await stubServer({ verify: () => ({ status: 401, message: 'invalid token' }) });
    // Table mode (no --json): the title line shows the URL.
    const cli = spawnWatch([`${server.url}/?token=${URL_TOKEN}`, 'AAPL', '--token', TOKEN], { TICKSTREAM_AUTH_TOKEN: ENV_TOKEN });
    try {
      assert.equal(await exitWithin(cli, 10_000), 1);
      assert.equal(server.attempts[0]!.authorization, `Bearer ${TOKEN}`);
      const stdout = cli.lines.join('\n');
      const stderr = cli.stderr();
      assert.match(stdout, /tickstream watch {2}ws:\/\/127\.0\.0\.1:\d+\/\?token=\*\*\*&symbols=AAPL/);
      assert.match(stderr, /giving up on ws:\/\/127\.0\.0\.1:\d+\/\?token=\*\*\*&symbols=AAPL: HTTP 401 Unauthorized: invalid token/);
      assert.match(stderr, /token was not accepted/);
      for (const secret of [TOKEN, URL_TOKEN, ENV_TOKEN]) {
        assert.ok(!(stdout + stderr).includes(secret), `${secret} appears in the output`);
      }
    } finally {
      cli.kill();
      await server.close();
    }
  });

  test('a token with a space or a line break is a usage error (exit 2) before connecting', { timeout: 20_000 }, async () => {
    const server = await stubServer({});
    const cli = spawnWatch([server.url, '--json', '--token', 'abc\r\nX-Injected: 1']);
    try {
      assert.equal(await exitWithin(cli, 10_000), 2);
      assert.match(cli.stderr(), /token .* must be non-empty visible ASCII/);
      assert.ok(!cli.stderr().includes('X-Injected'));
      assert.equal(server.attempts.length, 0);
    } finally {
      cli.kill();
      await server.close();
    }
  });
});
