import { after, afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { encodeBatchEntry } from '../../src/broker/redis-codec.js';
import { RedisServer } from '../helpers/redis.js';
import { comparable, sortedQuotes, startEdge, startIngest, waitFor, type Edge, type Ingest } from './harness.js';

const SYMBOLS = ['AAPL', 'MSFT', '600519.SH', '000001.SZ', 'TSLA', 'NVDA', 'AMZN', 'GOOG'];
/** Tests use a short stale threshold to stay quick; the default (3 s) is tested in redis-broker.test.ts. */
const STALE_MS = 500;

/** Ticks a few random symbols every `ms` until stopped: a market that keeps moving through the faults. */
function keepTicking(head: Ingest, ms = 10): { stop(): void } {
  let n = 0;
  const timer = setInterval(() => {
    n++;
    head.feed.tick(...SYMBOLS.filter((_, i) => (i + n) % 3 === 0));
  }, ms);
  return { stop: () => clearInterval(timer) };
}

function assertConsistent(edge: Edge, head: Ingest): void {
  assert.deepEqual(edge.sink.violations, [], 'stream promises kept on every call');
  assert.deepEqual(comparable(edge.sink.state), comparable(head.stream.state));
}

/** An edge started now gets a snapshot equal to the stream's state at its offset (what `last` + the stream hold). */
async function assertLateEdgeExact(url: string, head: Ingest, edge: (url: string) => Promise<Edge>): Promise<void> {
  const late = await edge(url);
  await late.caughtUp(head);
  const snapshot = late.sink.resets[0]!;
  assert.deepEqual(sortedQuotes(snapshot.quotes), head.tape.stateAt(snapshot.offset));
  assertConsistent(late, head);
}

describe('Redis broker faults', { timeout: 120_000 }, () => {
  const cleanup: (() => Promise<void>)[] = [];
  const servers: RedisServer[] = [];

  async function server(running = true): Promise<RedisServer> {
    const s = running ? await RedisServer.start() : await RedisServer.notRunning();
    servers.push(s);
    return s;
  }
  async function ingest(url: string, options: Parameters<typeof startIngest>[2] = {}): Promise<Ingest> {
    const i = await startIngest(url, SYMBOLS, options);
    cleanup.push(() => i.stop());
    return i;
  }
  async function edge(url: string, options: Parameters<typeof startEdge>[1] = {}): Promise<Edge> {
    const e = await startEdge(url, { staleAfterMs: STALE_MS, ...options });
    cleanup.push(() => e.source.stop());
    return e;
  }

  afterEach(async () => {
    for (const stop of cleanup.splice(0).reverse()) await stop();
  });
  after(async () => {
    for (const s of servers) await s.stop();
  });

  test('Redis SIGKILLed and restarted empty: edges are reset with the latest values within 2 s', { timeout: 30_000 }, async () => {
    const redis = await server();
    const head = await ingest(redis.url);
    const edges = [await edge(redis.url), await edge(redis.url)];
    await Promise.all(edges.map((e) => e.caughtUp(head)));
    const market = keepTicking(head);
    await Promise.all(edges.map((e) => e.sink.until(() => e.sink.state.offset > 50, 5000, 'ticks flow')));

    await redis.kill();
    await Promise.all(edges.map((e) => e.sink.until(() => e.sink.state.status.state === 'stale', 5000, 'the edge reports stale')));
    for (const e of edges) {
      assert.equal(e.source.health().ready, false);
      assert.match(e.source.health().reason ?? '', /^broker unreachable: /);
    }
    assert.equal(head.publisher.health().ready, false);
    const resetsBefore = edges.map((e) => e.sink.resets.length);

    await redis.restart();
    const back = performance.now();
    await Promise.all(edges.map((e, i) => e.sink.until(() => e.sink.resets.length > resetsBefore[i]!, 2000, 'the edge is reset after the restart')));
    for (const e of edges) {
      const reset = e.sink.events.filter((ev) => ev.kind === 'reset').at(-1)!;
      assert.ok(reset.kind === 'reset' && reset.at - back < 2000, `reset ${Math.round(reset.kind === 'reset' ? reset.at - back : -1)} ms after Redis was back`);
      assert.equal(reset.kind === 'reset' && reset.snapshot.quotes.length, SYMBOLS.length, 'latest value of every symbol');
    }
    await Promise.all(edges.map((e) => e.sink.until(() => e.sink.state.status.state === 'up', 2000, 'the edge is up again')));

    market.stop();
    head.feed.tick();
    await Promise.all(edges.map((e) => e.caughtUp(head)));
    for (const e of edges) {
      assertConsistent(e, head);
      assert.ok(e.reconnects.count >= 1, 'reconnect counted in the metrics');
      assert.equal(e.logger.count('broker connection lost, reconnecting'), 1, 'the outage is logged once');
      assert.equal(e.logger.count('broker reachable again'), 1);
    }
    assert.ok(head.publisher.republishes >= 2, 'the publisher republished the state');
    assert.equal(head.logger.count('broker connection lost, reconnecting'), 1);
    assert.equal(head.logger.count('broker reachable again'), 1);
  });

  test('Redis not running when the ingest and the edge start: both start, then serve once it is up', { timeout: 30_000 }, async () => {
    const redis = await server(false);
    const started = performance.now();
    const head = await ingest(redis.url);
    const e = await edge(redis.url);
    assert.ok(performance.now() - started < 1000, 'start() does not wait for the broker');
    await waitFor(() => /ECONNREFUSED/.test(e.source.health().reason ?? ''), 3000, 'the edge says why it is not ready');
    assert.match(e.source.health().reason!, new RegExp(`^broker unreachable: connect ECONNREFUSED 127\\.0\\.0\\.1:${redis.port}$`));
    assert.match(head.publisher.health().reason ?? '', /ECONNREFUSED/);
    for (let i = 0; i < 5; i++) head.feed.tick();
    assert.equal(e.logger.count('broker unreachable, retrying'), 1);

    await redis.restart();
    await e.caughtUp(head, 3000);
    head.feed.tick();
    await e.caughtUp(head);
    assertConsistent(e, head);
    assert.equal(e.source.health().ready, true);
    assert.equal(head.publisher.health().ready, true);
    assert.equal(e.logger.count('broker unreachable, retrying'), 1, 'said once, not at every retry');
  });

  test('the ingest is replaced (new epoch): edges go stale, then are reset to the new epoch', { timeout: 30_000 }, async () => {
    const redis = await server();
    const first = await ingest(redis.url);
    const e = await edge(redis.url);
    for (let i = 0; i < 10; i++) first.feed.tick();
    await e.caughtUp(first);
    await first.stop();
    await e.sink.until(() => e.sink.state.status.state === 'stale', 3000, 'the edge reports stale');
    assert.deepEqual(e.sink.state.status, { state: 'stale', reason: 'no data from ingest for 0.5 s' });

    const second = await ingest(redis.url);
    assert.notEqual(second.stream.epoch, first.stream.epoch);
    second.feed.tick();
    await e.caughtUp(second);
    assertConsistent(e, second);
    assert.equal(e.sink.state.status.state, 'up');
    const resets = e.sink.resets;
    assert.equal(resets.at(-1)!.epoch, second.stream.epoch);
    assert.equal(resets.filter((r) => r.epoch === first.stream.epoch).length, 1);
    assert.equal(e.sink.state.last('AAPL')!.seq, 1, 'the new epoch starts over');
  });

  test('a short blip (every client connection killed) loses nothing: each offset delivered exactly once', { timeout: 30_000 }, async () => {
    const redis = await server();
    const head = await ingest(redis.url);
    const e = await edge(redis.url);
    await e.caughtUp(head);
    const admin = new Redis(redis.url);
    try {
      const market = keepTicking(head, 5);
      for (let blip = 0; blip < 3; blip++) {
        const offset = e.sink.state.offset;
        await e.sink.until(() => e.sink.state.offset > offset + 20, 5000, 'ticks flow');
        const killed = await admin.client('KILL', 'TYPE', 'normal');
        assert.ok(Number(killed) >= 3, `killed the publisher's and the edge's connections (${killed})`);
        await waitFor(() => e.reconnects.count > blip && head.publisher.health().ready, 3000, 'both reconnected');
      }
      const offset = e.sink.state.offset;
      await e.sink.until(() => e.sink.state.offset > offset + 20, 5000, 'ticks flow after the blips');
      market.stop();
      head.feed.tick();
      await e.caughtUp(head);
    } finally {
      admin.disconnect();
    }
    assertConsistent(e, head);
    assert.equal(e.sink.resets.length, 1, 'no resynchronisation: the stream covered the blips');
    const delivered = e.sink.delivered.get(head.stream.epoch)!;
    const from = e.sink.resets[0]!.offset;
    assert.deepEqual(delivered, Array.from({ length: head.stream.state.offset - from }, (_, i) => from + 1 + i));
    assert.equal(head.publisher.republishes, 1, 'the buffered writes were flushed, no republish');
    assert.ok((e.source.health().details?.reconnects as number) >= 3);
    await assertLateEdgeExact(redis.url, head, edge); // `last` writes in doubt were resent in order
  });

  test('the publisher buffer overflows during an outage: the whole state is republished', { timeout: 30_000 }, async () => {
    const redis = await server();
    const head = await ingest(redis.url, { maxPendingQuotes: 20 });
    const e = await edge(redis.url);
    await e.caughtUp(head);
    await redis.kill();
    await waitFor(() => !head.publisher.health().ready, 3000, 'the publisher notices');
    for (let i = 0; i < 10; i++) head.feed.tick();
    assert.equal(head.publisher.overflows, 1);
    assert.equal(head.publisher.health().details?.pendingQuotes, 0, 'the buffer was dropped, not kept growing');
    await redis.restart();
    await e.caughtUp(head, 3000);
    assertConsistent(e, head);
  });

  test('Redis refuses writes for a while (maxmemory): the publisher buffers, says so once, and resumes without a gap', { timeout: 20_000 }, async () => {
    const redis = await server();
    const head = await ingest(redis.url);
    const e = await edge(redis.url);
    await e.caughtUp(head);
    const admin = new Redis(redis.url);
    try {
      await admin.config('SET', 'maxmemory', '1');
      head.feed.tick();
      await waitFor(() => head.publisher.writeErrors > 0 && !head.publisher.health().ready, 3000, 'the publisher sees the refusal');
      for (let i = 0; i < 5; i++) head.feed.tick();
      await e.sink.until(() => e.sink.state.status.state === 'stale', 3000, 'the edge reports stale');
      await waitFor(() => head.publisher.writeErrors > 1, 3000, 'the publisher retried');
      await admin.config('SET', 'maxmemory', '0');
    } finally {
      admin.disconnect();
    }
    await e.caughtUp(head, 3000);
    await e.sink.until(() => e.sink.state.status.state === 'up', 2000, 'the edge is up again');
    assertConsistent(e, head);
    assert.equal(e.sink.resets.length, 1, 'no resynchronisation: the buffered writes were flushed in order');
    assert.equal(head.publisher.republishes, 1);
    assert.equal(head.logger.count('broker refused a write; retrying every second'), 1);
    await assertLateEdgeExact(redis.url, head, edge);
  });

  test('a snapshot whose replay window the stream no longer holds is read again once `last` moves on', { timeout: 15_000 }, async () => {
    const redis = await server();
    const head = await ingest(redis.url, { maxLen: 10, lastEveryMs: 50 });
    await waitFor(() => head.publisher.health().ready, 5000, 'the publisher is live');
    for (let i = 0; i < 300; i++) head.feed.tick(SYMBOLS[i % SYMBOLS.length]!); // MAXLEN ~ trims whole nodes of 100 entries
    await waitFor(() => head.publisher.health().details?.lastOffset === head.stream.state.offset, 3000, '`last` caught up');
    const admin = new Redis(redis.url);
    try {
      assert.ok((await admin.xlen(head.publisher.keys.stream)) < 300, 'the stream was trimmed');
      // As if `last` had not been written for a long while: the stream no longer holds what it lacks.
      await admin.hset(head.publisher.keys.meta, 'lastOffset', '1');
    } finally {
      admin.disconnect();
    }
    const e = await edge(redis.url);
    await waitFor(() => e.source.incompleteSnapshots >= 2, 3000, 'the edge read the snapshot, found it incomplete, and again');
    assert.equal(e.sink.events.length, 0, 'nothing delivered from an incomplete snapshot');
    assert.equal(e.source.health().ready, false);
    assert.equal(e.logger.count('broker snapshot incomplete (the stream no longer holds what `last` lacks); reading it again'), 1, 'logged once');
    head.feed.tick('AAPL'); // the publisher writes `last` within 50 ms
    await e.caughtUp(head, 3000);
    assert.deepEqual(sortedQuotes(e.sink.resets[0]!.quotes), head.tape.stateAt(e.sink.resets[0]!.offset));
    assertConsistent(e, head);
    assert.equal(e.sink.resets.length, 1);
  });

  test('malformed entries are counted and skipped; the edge keeps running', { timeout: 15_000 }, async () => {
    const redis = await server();
    const head = await ingest(redis.url);
    const e = await edge(redis.url);
    head.feed.tick();
    await e.caughtUp(head);
    const admin = new Redis(redis.url);
    try {
      const key = head.publisher.keys.stream;
      const epoch = head.stream.epoch;
      await admin.xadd(key, '*', 't', 'b', 'e', epoch, 'o', '2', 'd', 'not json');
      await admin.xadd(key, '*', 't', 'b', 'e', epoch, 'o', '2', 'd', '[["AAPL",1,2]]');
      await admin.xadd(key, '*', 'garbage', 'x');
      await admin.xadd(key, '*', 't', 'zz', 'e', epoch, 'o', '1');
      await waitFor(() => e.source.malformedEntries === 4, 3000, 'four malformed entries counted');
    } finally {
      admin.disconnect();
    }
    head.feed.tick();
    head.feed.tick('AAPL');
    await e.caughtUp(head);
    assertConsistent(e, head);
    assert.equal(e.sink.resets.length, 1);
    assert.equal(e.source.health().ready, true);
    assert.equal(e.source.health().details?.malformedEntries, 4);
    assert.equal(e.logger.count('malformed broker entry skipped'), 1, 'logged, but not once per entry');
  });

  test('a gap in the stream makes the edge resynchronise; a repeated batch is skipped', { timeout: 15_000 }, async () => {
    const redis = await server();
    const head = await ingest(redis.url);
    const e = await edge(redis.url);
    await e.caughtUp(head); // the publisher is live: the ticks below become batch entries
    for (let i = 0; i < 3; i++) head.feed.tick();
    await e.caughtUp(head);
    const admin = new Redis(redis.url);
    try {
      const key = head.publisher.keys.stream;
      const entries = await admin.xrange(key, '-', '+');
      const batch = entries.find(([, fields]) => fields[1] === 'b')!;
      await admin.xadd(key, '*', ...batch[1]); // an old batch again: already delivered
      head.feed.tick('AAPL');
      await e.caughtUp(head);
      assert.equal(e.source.duplicateQuotes, SYMBOLS.length);
      assert.equal(e.sink.resets.length, 1);

      // A well-formed batch far ahead: the offsets in between are missing.
      const ahead = { ...head.stream.state.last('AAPL')!, seq: 1000, offset: head.stream.state.offset + 100 };
      await admin.xadd(key, '*', ...encodeBatchEntry(head.stream.epoch, [ahead]));
      await e.sink.until(() => e.sink.resets.length === 2, 3000, 'the edge re-reads the snapshot');
    } finally {
      admin.disconnect();
    }
    head.feed.tick();
    await e.caughtUp(head);
    assertConsistent(e, head);
    assert.equal(e.sink.state.last('AAPL')!.seq, head.stream.state.last('AAPL')!.seq, 'the injected quote was never delivered');
  });
});
