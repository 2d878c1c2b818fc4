import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { openClient, quotesOf, spawnCli, type SpawnedCli, type TestClient, type WireMessage } from '../helpers/server.js';
import { waitFor } from '../helpers/events.js';

interface Health {
  status: string;
  epoch: string;
  worker: number;
  workers: Array<{ worker: number; pid: number; clients: number; ready: boolean }>;
  total: { clients: number };
}

async function health(port: number): Promise<Health> {
  return (await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()) as Health;
}

/** The primary's line once every worker listens; returns the shared port. */
async function waitForCluster(cli: SpawnedCli): Promise<number> {
  const line = await cli.waitForLine((l) => l.includes('"msg":"cluster listening"'), 20_000);
  return (JSON.parse(line) as { port: number }).port;
}

/** Opens clients until two are served by different workers (node:cluster hands connections round robin). */
async function clientsOnTwoWorkers(url: string): Promise<Array<{ client: TestClient; welcome: WireMessage }>> {
  const byWorker = new Map<number, { client: TestClient; welcome: WireMessage }>();
  const extra: TestClient[] = [];
  for (let i = 0; i < 20 && byWorker.size < 2; i++) {
    const client = await openClient(url);
    const welcome = await client.nextOfType('welcome');
    const worker = welcome.worker as number;
    if (byWorker.has(worker)) extra.push(client);
    else byWorker.set(worker, { client, welcome });
  }
  for (const c of extra) await c.close();
  assert.equal(byWorker.size, 2, 'connections reached two different workers');
  return [...byWorker.values()];
}


describe('serve --workers 2: one market, two processes', { timeout: 60_000 }, () => {
  test('both workers serve the same epoch, seqs and prices; a killed worker is replaced unnoticed', async () => {
    const cli = spawnCli(['serve', '--workers', '2', '--port', '0', '--host', '127.0.0.1', '--seed', '7', '--ticks-per-second', '400', '--log-format', 'json']);
    try {
      const port = await waitForCluster(cli);
      const url = `ws://127.0.0.1:${port}/?interval=0`;
      const [a, b] = await clientsOnTwoWorkers(url);
      assert.equal(a!.welcome.epoch, b!.welcome.epoch, 'one epoch for the whole server');
      assert.match(String(a!.welcome.epoch), /^[0-9a-z]+-[0-9a-f]{6}$/);

      // The same (symbol, seq) carries the same price on both workers: one feed feeds both.
      const seen = [new Map<string, number>(), new Map<string, number>()];
      const collect = async (client: TestClient, into: Map<string, number>): Promise<void> => {
        while (into.size < 150) {
          const m = await client.next((x) => x.type === 'quotes' || x.type === 'snapshot');
          for (const q of quotesOf(m)) into.set(`${q.symbol}#${q.seq}`, q.last);
        }
      };
      await Promise.all([collect(a!.client, seen[0]!), collect(b!.client, seen[1]!)]);
      let common = 0;
      for (const [key, last] of seen[0]!) {
        const other = seen[1]!.get(key);
        if (other === undefined) continue;
        common++;
        assert.equal(other, last, `${key} has one price`);
      }
      assert.ok(common >= 50, `both workers saw the same ticks (${common} in common)`);

      // /healthz answers for the whole server, whichever worker gets the request.
      const h = await waitFor('both workers reported', async () => {
        const r = await health(port);
        return r.workers.length === 2 ? r : undefined;
      });
      assert.equal(h.status, 'ok');
      assert.equal(h.total.clients, 2);
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      assert.match(metrics, /^tickstream_connections 2$/m, 'metrics aggregated over the workers');

      // Kill worker A: its client is cut off; B's client keeps receiving, and a new worker takes A's place.
      const victim = h.workers.find((w) => w.worker === a!.welcome.worker)!;
      process.kill(victim.pid, 'SIGKILL');
      const before = b!.client.received.length;
      await a!.client.closed;
      await waitFor('quotes on the surviving worker', async () =>
        b!.client.received.slice(before).some((e) => e.message.type === 'quotes') ? true : undefined,
      );
      assert.equal(b!.client.received.some((e) => e.message.type === 'epoch'), false, 'no epoch change for the survivor');
      const replaced = await waitFor('a replacement worker', async () => {
        const r = await health(port);
        return r.workers.length === 2 && r.workers.every((w) => w.pid !== victim.pid && w.ready) ? r : undefined;
      });
      assert.equal(replaced.epoch, a!.welcome.epoch, 'the replacement serves the same stream');
      const again = await openClient(url);
      try {
        const welcome = await again.nextOfType('welcome');
        assert.equal(welcome.epoch, a!.welcome.epoch);
      } finally {
        await again.close();
      }
      await b!.client.close();

      cli.child.kill('SIGTERM');
      assert.equal(await cli.exited, 0, 'graceful shutdown of the whole cluster exits 0');
    } finally {
      cli.kill();
    }
  });

  test('--workers with a bad value is a usage error', { timeout: 10_000 }, async () => {
    const cli = spawnCli(['serve', '--workers', 'lots', '--port', '0']);
    assert.equal(await cli.exited, 2);
    assert.match(cli.stderr(), /workers/);
  });
});

describe('serve --workers 2: one chart', { timeout: 60_000 }, () => {
  test('every worker serves the same bars, history included', async () => {
    const cli = spawnCli(['serve', '--workers', '2', '--port', '0', '--host', '127.0.0.1', '--seed', '8', '--log-format', 'json']);
    try {
      const port = await waitForCluster(cli);
      const [a, b] = await clientsOnTwoWorkers(`ws://127.0.0.1:${port}/?symbols=AAPL`);
      for (const tf of ['1m', '1s'] as const) {
        const replies = await Promise.all(
          [a!, b!].map(async ({ client }, i) => {
            client.send({ type: 'bars', symbol: 'AAPL', tf, limit: 3600, id: `${tf}-${i}` });
            return client.next((m) => m.type === 'bars' && m.id === `${tf}-${i}`);
          }),
        );
        const [barsA, barsB] = replies.map((r) => r.bars as Array<{ t: number }>);
        assert.ok(barsA!.length >= (tf === '1m' ? 300 : 600), `${tf}: ${barsA!.length} bars`);
        // The bars both replies have closed are identical; only the newest may differ (a tick apart).
        const common = barsA!.filter((bar) => bar.t < Math.min(barsA!.at(-1)!.t, barsB!.at(-1)!.t));
        const other = new Map(barsB!.map((bar) => [bar.t, bar]));
        for (const bar of common) assert.deepEqual(other.get(bar.t), bar, `${tf} bar at ${bar.t}`);
      }
      await a!.client.close();
      await b!.client.close();
      cli.child.kill('SIGTERM');
      assert.equal(await cli.exited, 0);
    } finally {
      cli.kill();
    }
  });
});
