// The real `tickstream` command as a child process: serve + SIGTERM, watch --json, usage errors.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Socket } from 'node:net';
import { describe, test } from 'node:test';
import { connect } from '../../src/transport/index.js';
import { openClient, quotesOf, spawnCli, startTestServer, waitForListening, type SpawnedCli } from '../helpers/server.js';

describe('tickstream serve', () => {
  test('SIGTERM closes every client with 1001 and exits 0', { timeout: 30_000 }, async () => {
    const cli = spawnCli(['serve', '--host', '127.0.0.1', '--port', '0', '--seed', '1', '--interval', '100', '--log-format', 'json']);
    try {
      const port = await waitForListening(cli);
      const listening = JSON.parse(cli.lines.find((l) => l.includes('"listening"'))!) as { url: string };
      assert.equal(listening.url, `http://127.0.0.1:${port}`);
      const clients = await Promise.all([1, 2, 3].map(() => openClient(`ws://127.0.0.1:${port}/?symbols=AAPL`)));
      for (const c of clients) await c.nextOfType('snapshot');
      const startedAt = performance.now();
      cli.child.kill('SIGTERM');
      const closes = await Promise.all(clients.map((c) => c.closed));
      for (const close of closes) assert.equal(close.code, 1001);
      assert.equal(await cli.exited, 0);
      assert.ok(performance.now() - startedAt < 5_000, 'exits within 5 s');
    } finally {
      cli.kill();
    }
  });

  test('--feed module: serves the documented example feed (docs/examples/custom-feed.js)', { timeout: 30_000 }, async () => {
    const cli = spawnCli(['serve', '--host', '127.0.0.1', '--port', '0', '--feed', 'module:docs/examples/custom-feed.js#20', '--log-format', 'json']);
    try {
      const port = await waitForListening(cli);
      const symbols = (await (await fetch(`http://127.0.0.1:${port}/api/symbols`)).json()) as Array<{ symbol: string }>;
      assert.deepEqual(symbols.map((s) => s.symbol), ['WALK', 'DRFT']);
      const client = await openClient(`ws://127.0.0.1:${port}/?symbols=WALK&interval=0`);
      const welcome = await client.nextOfType('welcome');
      assert.deepEqual(welcome.feed, { state: 'up' });
      const update = await client.nextOfType('quotes');
      assert.equal(quotesOf(update)[0]!.symbol, 'WALK');
      await client.close();
      cli.child.kill('SIGTERM');
      assert.equal(await cli.exited, 0);
    } finally {
      cli.kill();
    }
  });

  test('a feed module that does not exist is a usage error naming it', { timeout: 30_000 }, async () => {
    const cli = spawnCli(['serve', '--port', '0', '--feed', 'module:./no/such-feed.js']);
    assert.equal(await cli.exited, 2);
    assert.match(cli.stderr(), /^tickstream: --feed: .*such-feed\.js/m);
  });

  test('a TCP connection that never sent a byte does not hold up SIGTERM', { timeout: 30_000 }, async () => {
    const cli = spawnCli(['serve', '--host', '127.0.0.1', '--port', '0', '--log-format', 'json']);
    const silent = new Socket();
    try {
      const port = await waitForListening(cli);
      await new Promise<void>((resolve, reject) => silent.connect(port, '127.0.0.1', resolve).once('error', reject));
      silent.on('error', () => {});
      const startedAt = performance.now();
      cli.child.kill('SIGTERM');
      assert.equal(await cli.exited, 0);
      assert.ok(performance.now() - startedAt < 2_000, `exited after ${Math.round(performance.now() - startedAt)} ms (the forced-exit deadline is 5 s)`);
    } finally {
      silent.destroy();
      cli.kill();
    }
  });

  test('a bug that escapes every handler: logged as fatal, clients get 1011, exit code 1', { timeout: 30_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tickstream-crash-'));
    const feedFile = join(dir, 'buggy-feed.mjs');
    // A feed with a bug in a timer, set off by the test (SIGUSR2) once a client is connected.
    await writeFile(
      feedFile,
      `export default () => ({
        name: 'buggy',
        start(sink) {
          sink.universe([{ symbol: 'BUG', name: 'Bug Inc.', exchange: 'X', currency: 'USD', prevClose: 1 }]);
          sink.quotes([{ symbol: 'BUG', last: 1, bid: 1, ask: 1, open: 1, high: 1, low: 1, prevClose: 1, change: 0, changePct: 0, volume: 0, ts: Date.now(), seq: 1 }]);
          process.on('SIGUSR2', () => setTimeout(() => { throw new Error('feed bug: boom'); }, 0));
        },
        async stop() {},
      });\n`,
    );
    const cli = spawnCli(['serve', '--host', '127.0.0.1', '--port', '0', '--feed', `module:${feedFile}`, '--log-format', 'json']);
    try {
      const port = await waitForListening(cli);
      const client = await openClient(`ws://127.0.0.1:${port}/`);
      await client.nextOfType('snapshot');
      cli.child.kill('SIGUSR2');
      const closed = await client.closed;
      assert.equal(closed.code, 1011);
      assert.equal(await cli.exited, 1);
      const fatal = cli.lines.map((l) => JSON.parse(l) as { level: number; msg: string; err?: { message: string } }).find((l) => l.level === 60);
      assert.equal(fatal?.msg, 'uncaught exception');
      assert.equal(fatal?.err?.message, 'feed bug: boom');
    } finally {
      cli.kill();
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('invalid configuration exits with code 2 and a clear message', { timeout: 30_000 }, async () => {
    const badPort = spawnCli(['serve', '--port', 'eighty']);
    assert.equal(await badPort.exited, 2);
    assert.match(badPort.stderr(), /--port: expected an integer/);
    const badEnv = spawnCli(['serve'], { TICKSTREAM_CLIENT_MESSAGES: 'maybe' });
    assert.equal(await badEnv.exited, 2);
    assert.match(badEnv.stderr(), /TICKSTREAM_CLIENT_MESSAGES: "maybe" is not one of commands, close/);
    const unknownFlag = spawnCli(['serve', '--colour']);
    assert.equal(await unknownFlag.exited, 2);
    assert.match(unknownFlag.stderr(), /--colour/);
  });

  test('an unknown option names the nearest known flag, for every subcommand, with exit code 2', { timeout: 30_000 }, async () => {
    const cases: [string[], string][] = [
      [['serve', '--prot', '9000'], 'unknown option --prot; did you mean --port?\nRun "tickstream serve --help" for usage.\n'],
      [['--prot', '9000'], 'unknown option --prot; did you mean --port?\nRun "tickstream serve --help" for usage.\n'],
      [['serve', '--no-deflat'], 'unknown option --no-deflat; did you mean --no-deflate?\nRun "tickstream serve --help" for usage.\n'],
      [['ingest', '--feeed', 'simulator'], 'unknown option --feeed; did you mean --feed?\nRun "tickstream ingest --help" for usage.\n'],
      [['watch', '--jsn'], 'unknown option --jsn; did you mean --json?\nRun "tickstream watch --help" for usage.\n'],
      [['echo', '--prot', '9001'], 'unknown option --prot; did you mean --port?\nRun "tickstream echo --help" for usage.\n'],
      // Nothing close: no guess.
      [['serve', '--colour'], 'unknown option --colour\nRun "tickstream serve --help" for usage.\n'],
    ];
    const runs = cases.map(([args]) => spawnCli(args));
    for (const [k, cli] of runs.entries()) {
      const [args, expected] = cases[k]!;
      assert.equal(await cli.exited, 2, args.join(' '));
      assert.equal(cli.stderr(), `tickstream: ${expected}`, args.join(' '));
    }
  });

  test('a boolean in the environment that is not one: the message lists what is accepted', { timeout: 30_000 }, async () => {
    const cli = spawnCli(['serve'], { TICKSTREAM_DEFLATE: 'maybe' });
    assert.equal(await cli.exited, 2);
    assert.match(cli.stderr(), /^tickstream: TICKSTREAM_DEFLATE: expected true or false \(also 1\/0, yes\/no, on\/off\), got "maybe"$/m);
  });

  test('--feed replay: plays the shipped sample (samples/replay/us-open.csv) as a live market', { timeout: 30_000 }, async () => {
    const startedAt = Date.now();
    const cli = spawnCli(['serve', '--host', '127.0.0.1', '--port', '0', '--feed', 'replay:samples/replay/us-open.csv', '--replay-speed', '10', '--log-format', 'json']);
    try {
      const port = await waitForListening(cli);
      const symbols = (await (await fetch(`http://127.0.0.1:${port}/api/symbols`)).json()) as Array<{ symbol: string }>;
      assert.deepEqual(symbols.map((s) => s.symbol), ['AAPL', 'MSFT', 'NVDA', 'AMZN', 'TSLA']);
      const client = await openClient(`ws://127.0.0.1:${port}/?symbols=AAPL&interval=0`);
      const snapshot = await client.nextOfType('snapshot');
      // Re-based to now: the recording is from 2024, the quotes are stamped today.
      const [opening] = quotesOf(snapshot);
      assert.equal(opening!.symbol, 'AAPL');
      assert.ok(opening!.ts >= startedAt - 1000 && opening!.ts <= Date.now() + 1000, `ts ${opening!.ts}`);
      const update = await client.nextOfType('quotes', 10_000);
      assert.equal(quotesOf(update)[0]!.symbol, 'AAPL');
      await client.close();
      cli.child.kill('SIGTERM');
      assert.equal(await cli.exited, 0);
    } finally {
      cli.kill();
    }
  });

  test('--version and --help', { timeout: 30_000 }, async () => {
    const version = spawnCli(['--version']);
    assert.equal(await version.exited, 0);
    assert.match(version.lines.join('\n'), /^\d+\.\d+\.\d+$/);
    const help = spawnCli(['serve', '--help']);
    assert.equal(await help.exited, 0);
    const text = help.lines.join('\n');
    for (const fragment of ['--tls-cert', 'TICKSTREAM_PORT', '--client-messages', '[default: 8765]']) assert.ok(text.includes(fragment), fragment);
  });
});

describe('tickstream watch --json', () => {
  test('prints one quote per line from a running server', { timeout: 30_000 }, async () => {
    const server = await startTestServer({ intervalMs: 100 });
    const cli = spawnCli(['watch', server.wsUrl, 'AAPL', '600519.SH', '--json', '--interval', '100']);
    try {
      const seen = new Map<string, number>();
      for (let i = 0; i < 6; i++) {
        const line = await cli.waitForLine(() => true, 15_000);
        const quote = JSON.parse(line) as { symbol: string; seq: number; last: number; ts: number };
        assert.ok(['AAPL', '600519.SH'].includes(quote.symbol), quote.symbol);
        assert.equal(typeof quote.last, 'number');
        assert.ok(quote.seq >= (seen.get(quote.symbol) ?? 0), 'seq never goes back');
        seen.set(quote.symbol, quote.seq);
      }
      assert.equal(seen.size, 2, 'both symbols appear (the snapshot lists each)');
      cli.child.kill('SIGINT');
      assert.equal(await cli.exited, 0);
    } finally {
      cli.kill();
      await server.close();
    }
  });
});

describe('tickstream watch reconnects', () => {
  test('when the server goes away it backs off, then resumes on the restarted server', { timeout: 30_000 }, async () => {
    let server = await startTestServer({ intervalMs: 100 });
    const port = server.port;
    const cli = spawnCli(['watch', `ws://127.0.0.1:${port}`, 'AAPL', '--json']);
    try {
      const first = JSON.parse(await cli.waitForLine(() => true, 15_000)) as { symbol: string };
      assert.equal(first.symbol, 'AAPL');
      await server.close();
      await waitForStderr(cli, /closed 1001 server shutting down\); reconnecting in \d+s/);
      server = await startTestServer({ intervalMs: 100, port });
      await waitForStderr(cli, /connected to ws:\/\/127\.0\.0\.1/);
      const again = JSON.parse(await cli.waitForLine(() => true, 15_000)) as { symbol: string };
      assert.equal(again.symbol, 'AAPL');
      cli.child.kill('SIGINT');
      assert.equal(await cli.exited, 0);
    } finally {
      cli.kill();
      await server.close();
    }
  });
});

/** Resolves once the CLI's stderr (so far or later) matches. */
function waitForStderr(cli: SpawnedCli, pattern: RegExp): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = (): void => {
      if (pattern.test(cli.stderr())) {
        cli.child.stderr!.off('data', check);
        cli.child.off('exit', onExit);
        resolve();
      }
    };
    const onExit = (): void => reject(new Error(`CLI exited; stderr: ${cli.stderr()}`));
    // Listeners run after the helper's own stderr collector (registered first), so stderr() is current.
    cli.child.stderr!.on('data', check);
    cli.child.once('exit', onExit);
    check();
  });
}

describe('tickstream echo', () => {
  test('echoes a message and exits 0 on SIGTERM', { timeout: 30_000 }, async () => {
    const cli = spawnCli(['echo', '--port', '0']);
    try {
      const port = await waitForListening(cli);
      const conn = await connect(`ws://127.0.0.1:${port}/`);
      const echoed = new Promise<string>((resolve) => conn.once('message', (data: Buffer) => resolve(data.toString('utf8'))));
      conn.send('价格 299.9');
      assert.equal(await echoed, '价格 299.9');
      conn.close(1000);
      cli.child.kill('SIGTERM');
      assert.equal(await cli.exited, 0);
    } finally {
      cli.kill();
    }
  });
});

describe('the article\'s toy server, configured from file + env + flags', () => {
  test('read-only mode from a config file closes on any client message (1008)', { timeout: 30_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tickstream-cfg-'));
    const configFile = join(dir, 'tickstream.json');
    // The file asks for port 1 (privileged): the flag must win; the env var supplies the host.
    await writeFile(configFile, JSON.stringify({ clientMessages: 'close', interval: 100, port: 1, logFormat: 'json' }));
    const cli = spawnCli(['--config', configFile, '--port', '0'], { TICKSTREAM_HOST: '127.0.0.1' });
    try {
      const port = await waitForListening(cli);
      const client = await openClient(`ws://127.0.0.1:${port}/?symbols=AAPL`);
      assert.equal((await client.nextOfType('welcome')).interval, 100);
      assert.equal(quotesOf(await client.nextOfType('quotes', 3_000))[0]?.symbol, 'AAPL');
      client.conn.send('hi');
      assert.deepEqual(await client.closed, { code: 1008, reason: 'read-only feed' });
    } finally {
      cli.kill();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
