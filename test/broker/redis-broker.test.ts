import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { RedisServer } from '../helpers/redis.js';
import { comparable, sortedQuotes, startEdge, startIngest, waitFor, type Edge, type Ingest } from './harness.js';

const SYMBOLS = ['AAPL', 'MSFT', '600519.SH', 'TSLA', 'NVDA'];

/** Offsets 1..n each delivered once after the edge's first reset (whose offset covers the rest). */
function assertEveryOffsetOnce(edge: Edge, epoch: string, upTo: number): void {
  const first = edge.sink.resets.find((r) => r.epoch === epoch);
  assert.ok(first, 'edge was reset to the epoch');
  const got = edge.sink.delivered.get(epoch) ?? [];
  const expected = Array.from({ length: upTo - first.offset }, (_, i) => first.offset + 1 + i);
  assert.deepEqual(got, expected);
}

describe('Redis broker: ingest → Redis → edges', { timeout: 60_000 }, () => {
  let redis: RedisServer;
  const cleanup: (() => Promise<void>)[] = [];

  before(async () => {
    redis = await RedisServer.start();
  });
  after(async () => {
    for (const stop of cleanup.reverse()) await stop();
    await redis.stop();
  });

  async function ingest(prefix: string, options: Parameters<typeof startIngest>[2] = {}): Promise<Ingest> {
    const i = await startIngest(redis.url, SYMBOLS, { prefix, ...options });
    cleanup.push(() => i.stop());
    return i;
  }
  async function edge(prefix: string, options: Parameters<typeof startEdge>[1] = {}): Promise<Edge> {
    const e = await startEdge(redis.url, { prefix, ...options });
    cleanup.push(() => e.source.stop());
    return e;
  }

  test('two edges hold the same epoch, offsets, seqs and prices as the FeedStream', { timeout: 15_000 }, async () => {
    const head = await ingest('two-edges');
    const [a, b] = [await edge('two-edges'), await edge('two-edges')];
    await Promise.all([a.caughtUp(head), b.caughtUp(head)]);
    for (let i = 0; i < 50; i++) head.feed.tick(...SYMBOLS.slice(0, 1 + (i % SYMBOLS.length)));
    head.feed.tickMany(1234); // one batch spanning several stream entries (500 quotes each)
    await Promise.all([a.caughtUp(head), b.caughtUp(head)]);

    const expected = comparable(head.stream.state);
    for (const e of [a, b]) {
      assert.deepEqual(comparable(e.sink.state), expected);
      assert.deepEqual(e.sink.violations, []);
      assert.equal(e.sink.resets.length, 1, 'no resynchronisation was needed');
      assertEveryOffsetOnce(e, head.stream.epoch, head.stream.state.offset);
      assert.equal(e.sink.state.status.state, 'up');
      assert.equal(e.source.health().ready, true);
    }
    assert.equal(head.publisher.health().ready, true);
    assert.equal(head.publisher.quotesPublished, head.stream.state.offset);
  });

  test('a new edge starts from the full snapshot, before any new tick', { timeout: 15_000 }, async () => {
    const head = await ingest('late');
    for (let i = 0; i < 20; i++) head.feed.tick();
    head.feed.add('BABA');
    head.feed.tick('BABA', 'AAPL');
    await waitFor(() => head.publisher.health().details?.offset === head.stream.state.offset, 5000, 'Redis acknowledged every quote');

    const late = await edge('late');
    await late.sink.until(() => late.sink.resets.length === 1, 5000, 'the late edge is reset');
    assert.equal(late.sink.events[0]?.kind, 'reset', 'the snapshot comes first');
    const snapshot = late.sink.resets[0]!;
    assert.equal(snapshot.epoch, head.stream.epoch);
    assert.equal(snapshot.offset, head.stream.state.offset);
    assert.deepEqual(comparable(late.sink.state), comparable(head.stream.state));
    assert.ok(late.sink.state.has('BABA'));

    head.feed.tick();
    await late.caughtUp(head);
    assert.deepEqual(comparable(late.sink.state), comparable(head.stream.state));
    assert.deepEqual(late.sink.violations, []);
  });

  test('a snapshot taken between two writes of `last` is complete and exact, and the edge continues from it', { timeout: 15_000 }, async () => {
    // `last` is written with the republish only (the time bound is an hour, 30 batches are far from maxLen / 4 entries).
    const head = await ingest('between', { lastEveryMs: 3_600_000 });
    await waitFor(() => head.publisher.health().ready, 5000, 'the publisher is live'); // (before, the republish carries every quote)
    for (let i = 0; i < 30; i++) head.feed.tick(...SYMBOLS.slice(0, 1 + (i % SYMBOLS.length)));
    await waitFor(() => head.publisher.health().details?.offset === head.stream.state.offset, 5000, 'Redis acknowledged every quote');
    const admin = new Redis(redis.url);
    try {
      const [offset, lastOffset] = await admin.hmget(head.publisher.keys.meta, 'offset', 'lastOffset');
      assert.equal(Number(offset), head.stream.state.offset);
      assert.equal(Number(lastOffset), 0, '`last` lags the stream by every quote');
      assert.equal(await admin.hlen(head.publisher.keys.last), 0);

      const late = await edge('between', { snapshotPage: 4 }); // several pages back to offset 1
      await late.sink.until(() => late.sink.resets.length === 1, 5000, 'the late edge is reset');
      const snapshot = late.sink.resets[0]!;
      assert.equal(snapshot.offset, head.stream.state.offset);
      assert.equal(late.source.replayedQuotes, snapshot.offset, 'every quote came from the stream');
      assert.deepEqual(sortedQuotes(snapshot.quotes), comparable(head.stream.state).quotes, "every symbol's latest value");
      head.feed.tick('AAPL');
      await late.caughtUp(head);
      assert.deepEqual(comparable(late.sink.state), comparable(head.stream.state));
      assert.deepEqual(late.sink.violations, []);
      assert.deepEqual(late.sink.delivered.get(head.stream.epoch), [snapshot.offset + 1], 'the stream continues right after the snapshot');

      await head.stop(); // writes `last` up to date
      const [stopOffset, stopLastOffset] = await admin.hmget(head.publisher.keys.meta, 'offset', 'lastOffset');
      assert.equal(stopLastOffset, stopOffset);
      assert.equal(await admin.hlen(head.publisher.keys.last), SYMBOLS.length);
    } finally {
      admin.disconnect();
    }
  });

  test("an edge started at any moment of a busy market gets every symbol's latest value at its offset", { timeout: 20_000 }, async () => {
    const head = await ingest('anytime', { lastEveryMs: 20 });
    let n = 0;
    const market = setInterval(() => {
      for (let k = 0; k < 3; k++) head.feed.tick(...SYMBOLS.filter((_, i) => (i + n++) % 4 !== 0));
    }, 2);
    const edges: Edge[] = [];
    try {
      for (let i = 0; i < 6; i++) {
        const offset = head.stream.state.offset;
        await waitFor(() => head.stream.state.offset > offset + 50 + 37 * i, 5000, 'the market moves');
        edges.push(await edge('anytime', { snapshotPage: 1 + 2 * i }));
      }
      await Promise.all(edges.map((e) => e.sink.until(() => e.sink.resets.length > 0, 5000, 'the edge is reset')));
    } finally {
      clearInterval(market);
    }
    head.feed.tick();
    await Promise.all(edges.map((e) => e.caughtUp(head)));
    for (const e of edges) {
      const snapshot = e.sink.resets[0]!;
      assert.deepEqual(sortedQuotes(snapshot.quotes), head.tape.stateAt(snapshot.offset), `the snapshot at ${snapshot.offset} is exact`);
      assert.deepEqual(e.sink.violations, []);
      assert.equal(e.sink.resets.length, 1);
      assertEveryOffsetOnce(e, head.stream.epoch, head.stream.state.offset);
      assert.deepEqual(comparable(e.sink.state), comparable(head.stream.state));
    }
    assert.ok(new Set(edges.map((e) => e.sink.resets[0]!.offset)).size === edges.length, 'six different moments');
    assert.ok(edges.some((e) => e.source.replayedQuotes > 0), 'snapshots were completed from the stream');
  });

  test('a quiet market: `last` is written within lastEveryMs of the last quote', { timeout: 15_000 }, async () => {
    const head = await ingest('quiet-last', { lastEveryMs: 50 });
    await waitFor(() => head.publisher.health().ready, 5000, 'the publisher is live');
    head.feed.tick();
    head.feed.tick('AAPL');
    await waitFor(() => head.publisher.health().details?.lastOffset === head.stream.state.offset, 3000, '`last` caught up without another write');
    assert.equal(head.publisher.health().details?.offset, head.stream.state.offset);
  });

  test('universe and status changes reach the edges in stream order', { timeout: 15_000 }, async () => {
    const head = await ingest('changes');
    const e = await edge('changes');
    await e.caughtUp(head);
    head.feed.add('AMZN');
    head.feed.tick('AMZN');
    head.feed.status({ state: 'stale', reason: 'upstream quiet' });
    head.feed.status({ state: 'up' });
    head.feed.tick('AMZN', 'AAPL');
    await e.caughtUp(head);
    await e.sink.until(() => e.sink.state.status.state === 'up' && e.sink.statuses.length >= 2, 5000, 'both statuses arrived');
    const kinds = e.sink.events.slice(1).map((ev) => (ev.kind === 'status' ? `status:${ev.status.state}` : ev.kind));
    assert.deepEqual(kinds, ['universe', 'quotes', 'status:stale', 'status:up', 'quotes']);
    assert.deepEqual(e.sink.statuses[0], { state: 'stale', reason: 'upstream quiet' });
    assert.ok(e.sink.state.has('AMZN'));
  });

  test('a quiet market: heartbeats keep the edges from going stale', { timeout: 15_000 }, async () => {
    const head = await ingest('quiet', { heartbeatMs: 100 });
    const e = await edge('quiet', { staleAfterMs: 400 });
    await e.caughtUp(head);
    const { entriesRead } = e.source;
    await waitFor(() => e.source.entriesRead >= entriesRead + 10, 5000, 'ten heartbeats were read');
    assert.deepEqual(e.sink.statuses, [], 'no stale status while heartbeats flow');
  });

  test('stop() is prompt: neither a blocked XREAD nor an unreachable broker holds it', { timeout: 15_000 }, async () => {
    const head = await ingest('stop');
    const e = await startEdge(redis.url, { prefix: 'stop' });
    await e.caughtUp(head);
    assert.equal(e.source.health().ready, true, 'the edge is blocked in XREAD now');
    let started = performance.now();
    await e.source.stop();
    assert.ok(performance.now() - started < 300, `edge stopped in ${Math.round(performance.now() - started)} ms`);

    const nowhere = await RedisServer.notRunning();
    try {
      const orphan = await startIngest(nowhere.url, SYMBOLS);
      const lost = await startEdge(nowhere.url);
      orphan.feed.tick();
      started = performance.now();
      await Promise.all([lost.source.stop(), orphan.stop()]);
      assert.ok(performance.now() - started < 300, `stopped in ${Math.round(performance.now() - started)} ms with the broker down`);
      assert.equal(lost.sink.events.length, 0, 'nothing was delivered without a broker');
    } finally {
      await nowhere.stop();
    }
  });

  test('the default stale threshold says how long the ingest has been silent', { timeout: 15_000 }, async () => {
    const head = await ingest('silent');
    const e = await edge('silent');
    await e.caughtUp(head);
    await head.stop();
    await e.sink.until(() => e.sink.state.status.state === 'stale', 6000, 'the edge reports stale');
    assert.deepEqual(e.sink.state.status, { state: 'stale', reason: 'no data from ingest for 3 s' });
  });
});
