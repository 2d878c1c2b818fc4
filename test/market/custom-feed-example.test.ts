import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { createFeed } from '../../src/market/index.js';
import { RecordingSink } from './recording-sink.js';
import { repoRoot } from './repo-root.js';

// docs/market.md shows docs/examples/custom-feed.js verbatim; this proves that exact file is a
// working plugin through the same path the CLI uses (`--feed module:PATH`).
describe('docs/examples/custom-feed.js', () => {
  test('loads as module:PATH and reports universe, opening quotes, up, then ticks', { timeout: 10_000 }, async () => {
    const file = join(repoRoot(), 'docs', 'examples', 'custom-feed.js');
    const feed = await createFeed(`module:${file}#20`);
    assert.equal(feed.name, 'random-walk');
    const sink = new RecordingSink();
    await feed.start(sink);
    try {
      await sink.until((s) => s.statuses.length > 0 && s.batches.length >= 3, 'up and two timer batches');
    } finally {
      await feed.stop();
    }
    assert.deepEqual(sink.sequence.slice(0, 3), ['universe', 'quotes', 'status:up']);
    assert.deepEqual(sink.statuses, [{ state: 'up' }]);
    const symbols = sink.symbols.map((s) => s.symbol);
    assert.equal(symbols.length, 2);
    for (const info of sink.symbols) {
      assert.deepEqual(Object.keys(info).sort(), ['currency', 'exchange', 'name', 'prevClose', 'symbol']);
    }
    const fields = ['ask', 'bid', 'change', 'changePct', 'high', 'last', 'low', 'open', 'prevClose', 'seq', 'symbol', 'ts', 'volume'];
    const previous = new Map<string, number>();
    for (const q of sink.received) {
      assert.deepEqual(Object.keys(q).sort(), fields);
      assert.ok(symbols.includes(q.symbol), q.symbol);
      assert.equal(q.seq, (previous.get(q.symbol) ?? 0) + 1, `${q.symbol} seq`);
      previous.set(q.symbol, q.seq);
      assert.ok(q.bid <= q.last && q.last <= q.ask && q.low <= q.last && q.last <= q.high);
      assert.equal(q.change, Math.round((q.last - q.prevClose) * 100) / 100);
    }
    assert.deepEqual(sink.batches[0]!.map((q) => q.seq), [1, 1], 'the opening quotes');
  });
});
