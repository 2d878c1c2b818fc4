// The attacks of issue 9, each against its own `tickstream serve` child process, asserting that the
// server's RSS growth stays under a stated bound and that the attacker is closed with the documented
// code (docs/security.md). The per-connection bound is hard limit + 4 x max payload + a read chunk
// (docs/api.md); the process-level bounds below add room for V8 heap growth and allocator noise.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { MiB, RssSampler, clientFrame, rawUpgrade, readUntilClose, repeatFrame, type RawClient } from '../helpers/raw-client.js';
import { spawnCli, waitForListening, type SpawnedCli } from '../helpers/server.js';
import { waitFor } from '../helpers/events.js';

const TEXT = 0x1;
const PING = 0x9;
const BINARY = 0x2;
/** Bound on the server's RSS growth during one single-connection attack (the 4 MiB hard limit and heap noise). */
const ATTACK_RSS_BOUND = 48 * MiB;

interface Target {
  readonly cli: SpawnedCli;
  readonly port: number;
  readonly pid: number;
  /** The value of tickstream_limit_closes_total{reason=...}. */
  limitCloses(reason: string): Promise<number>;
  stop(): Promise<void>;
}

const targets: Target[] = [];
after(async () => {
  for (const t of targets) await t.stop();
});

async function startTarget(flags: readonly string[]): Promise<Target> {
  const cli = spawnCli(['serve', '--host', '127.0.0.1', '--port', '0', '--seed', '7', '--log-format', 'json', '--log-level', 'warn', ...flags]);
  const port = await waitForListening(cli).catch(async () => {
    // waitForListening needs the 'listening' line at info level: fall back to asking the kernel.
    throw new Error(`server did not start: ${cli.stderr()}`);
  });
  const target: Target = {
    cli,
    port,
    pid: cli.child.pid!,
    async limitCloses(reason) {
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      const match = new RegExp(`^tickstream_limit_closes_total\\{reason="${reason}"\\} (\\d+)`, 'm').exec(text);
      return match ? Number(match[1]) : 0;
    },
    async stop() {
      cli.child.kill('SIGTERM');
      await Promise.race([cli.exited, new Promise((r) => setTimeout(r, 5000).unref())]);
      cli.kill();
    },
  };
  targets.push(target);
  return target;
}

/** Waits until the server counted one more close for `reason` (it decided to close the attacker). */
async function closedForLimit(target: Target, reason: string, before = 0, timeoutMs = 10_000): Promise<void> {
  await waitFor(`a ${reason} close`, async () => ((await target.limitCloses(reason)) > before ? true : undefined), timeoutMs, 50);
}

async function healthy(target: Target): Promise<void> {
  const started = performance.now();
  const res = await fetch(`http://127.0.0.1:${target.port}/healthz`);
  assert.equal(res.status, 200);
  await res.text();
  assert.ok(performance.now() - started < 1000, '/healthz answered within a second');
}

function withinBound(t: { diagnostic(message: string): void }, growth: number): void {
  t.diagnostic(`server RSS grew ${(growth / MiB).toFixed(1)} MiB during the attack (bound ${ATTACK_RSS_BOUND / MiB} MiB)`);
  assert.ok(growth < ATTACK_RSS_BOUND, `RSS grew ${(growth / MiB).toFixed(1)} MiB (bound ${ATTACK_RSS_BOUND / MiB})`);
}

/** Writes `data` without waiting for the kernel to take it (a peer that floods and never reads). */
function flood(client: RawClient, data: Buffer): void {
  client.socket.write(data, () => {});
}

// info level is needed for the 'listening' line the helper waits for; warn keeps attack logs quiet.
const QUIET = ['--log-level', 'info'];

interface FloodAttack {
  flags: readonly string[];
  path: string;
  /** What the attacker writes without ever reading. */
  frames: Buffer;
  /** The limit the server must close it for (tickstream_limit_closes_total reason) and the close reason it sends. */
  limit: 'slow_consumer' | 'rate_limited';
  reason: string;
}

/**
 * One attack: a client that floods and never reads. Asserts the server closes it for the expected
 * limit with 1008, and its RSS grows less than the bound meanwhile; returns what the client got.
 */
async function floodAttack(t: { diagnostic(message: string): void }, attack: FloodAttack): Promise<{ target: Target; messages: number }> {
  const target = await startTarget([...QUIET, ...attack.flags]);
  const client = await rawUpgrade(target.port, attack.path);
  const rss = new RssSampler(target.pid);
  flood(client, attack.frames);
  await closedForLimit(target, attack.limit);
  const growth = rss.stop();
  const close = await readUntilClose(client);
  assert.deepEqual(close && { code: close.code, reason: close.reason }, { code: 1008, reason: attack.reason });
  withinBound(t, growth);
  return { target, messages: close!.messages };
}

const SNAPSHOT_ALL = '{"type":"snapshot","symbols":["*"]}';
const NO_COMMAND_LIMIT = ['--command-rate', '0', '--slow-close-after', '1000'];

describe('hostile clients: memory stays bounded and the attacker is closed', { timeout: 60_000 }, () => {
  test('a non-reading client flooding 100,000 snapshot commands (no command limit): reading pauses, 1008 "slow consumer"', async (t) => {
    const { target, messages } = await floodAttack(t, {
      flags: NO_COMMAND_LIMIT,
      path: '/?symbols=AAPL',
      frames: repeatFrame(clientFrame(TEXT, SNAPSHOT_ALL), 100_000),
      limit: 'slow_consumer',
      reason: 'slow consumer',
    });
    assert.ok(messages < 100_000, `the server stopped answering (answered ${messages})`);
    await healthy(target);
  });

  test('the same with a subscription to everything at every tick: 1008 "slow consumer"', async (t) => {
    const { target } = await floodAttack(t, {
      flags: [...NO_COMMAND_LIMIT, '--ticks-per-second', '2000'],
      path: '/?symbols=*&interval=0',
      frames: repeatFrame(clientFrame(TEXT, SNAPSHOT_ALL), 100_000),
      limit: 'slow_consumer',
      reason: 'slow consumer',
    });
    await healthy(target);
  });

  test('200,000 protocol pings from a non-reading client count against the command limit: 1008 rate limit', async (t) => {
    await floodAttack(t, {
      flags: [],
      path: '/?symbols=AAPL',
      frames: repeatFrame(clientFrame(PING, 'x'), 200_000),
      limit: 'rate_limited',
      reason: 'command rate limit exceeded',
    });
  });

  test('200,000 pings with the command limit off: pongs fill the budget, reading pauses, 1008 "slow consumer"', async (t) => {
    await floodAttack(t, {
      flags: NO_COMMAND_LIMIT,
      path: '/?symbols=AAPL',
      frames: repeatFrame(clientFrame(PING, 'x'.repeat(100)), 200_000),
      limit: 'slow_consumer',
      reason: 'slow consumer',
    });
  });

  test('200,000 one-byte invalid JSON frames: one rate_limited error, then 1008; no amplification', async (t) => {
    const { messages } = await floodAttack(t, {
      flags: [],
      path: '/?symbols=AAPL',
      frames: repeatFrame(clientFrame(TEXT, 'x'), 200_000),
      limit: 'rate_limited',
      reason: 'command rate limit exceeded',
    });
    // welcome + snapshot + at most the burst of error replies + one rate_limited error
    assert.ok(messages <= 2 + 100 + 1, `${messages} messages came back`);
  });

  test('an unfinished 1 MiB frame kept alive byte by byte is closed after --message-timeout (1008)', async () => {
    const target = await startTarget([...QUIET, '--message-timeout', '1s']);
    const client = await rawUpgrade(target.port, '/?symbols=AAPL');
    const started = performance.now();
    client.socket.write(clientFrame(BINARY, 'a'.repeat(1000), { announce: 1024 * 1024 }).subarray(0, 2 + 8 + 4 + 1000));
    // Keep the frame "alive" with one byte every 100 ms, as the attack does; bounded to 50 bytes.
    let sent = 0;
    const trickle = setInterval(() => {
      if (sent++ < 50 && !client.socket.destroyed) client.socket.write('a');
    }, 100);
    try {
      const close = await readUntilClose(client, 10_000);
      const elapsed = performance.now() - started;
      assert.deepEqual(close && { code: close.code, reason: close.reason }, { code: 1008, reason: 'message not completed in time' });
      assert.ok(elapsed >= 900 && elapsed < 4000, `closed after ${Math.round(elapsed)} ms`);
    } finally {
      clearInterval(trickle);
    }
    assert.equal(await target.limitCloses('message_timeout'), 1);
  });
});
