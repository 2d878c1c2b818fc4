import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  FeedSpecError,
  MarketSimulator,
  ReplayFeed,
  createFeed,
  feedKinds,
  registerFeedKind,
  type FeedContext,
  type FeedSpec,
  type QuoteFeed,
} from '../../src/market/index.js';
import { RecordingSink } from './recording-sink.js';

let dir = '';

/** Writes a file into the test's temporary directory and returns its absolute path. */
async function fixture(name: string, text: string): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, text);
  return file;
}

/** Asserts createFeed(spec) rejects with a one-line FeedSpecError matching `message`. */
async function rejects(spec: string | FeedSpec, message: RegExp, context: Partial<FeedContext> = {}): Promise<void> {
  await assert.rejects(createFeed(spec, context), (error: unknown) => {
    assert.ok(error instanceof FeedSpecError, `a FeedSpecError, got ${String(error)}`);
    assert.match(error.message, message);
    assert.ok(!error.message.includes('\n'), `one line: ${error.message}`);
    return true;
  });
}

/** A module whose factory records its context and returns a feed that reports one quote. */
const ECHO_MODULE = `
export default async function (context) {
  return {
    name: 'echo:' + context.arg,
    context,
    start(sink) {
      sink.universe([{ symbol: 'E', name: 'Echo', exchange: '', currency: 'USD', prevClose: 1 }]);
      sink.quotes([{ symbol: 'E', last: 1, bid: 1, ask: 1, open: 1, high: 1, low: 1, prevClose: 1, change: 0, changePct: 0, volume: 0, ts: 0, seq: 1 }]);
      sink.status({ state: 'up' });
    },
    async stop() {},
  };
}
`;

describe('createFeed: built-in kinds', () => {
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tickstream-feeds-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('the known kinds', () => {
    for (const kind of ['module', 'replay', 'simulator']) assert.ok(feedKinds().includes(kind), kind);
  });

  test('"simulator" honours the settings: seed, symbols, ticksPerSecond', async () => {
    const settings = { seed: 'abc', symbols: ['AAPL', '600519.SH'], ticksPerSecond: 50 };
    const feed = await createFeed('simulator', { settings });
    assert.ok(feed instanceof MarketSimulator);
    assert.deepEqual(
      feed.universe().map((s) => s.symbol),
      ['AAPL', '600519.SH'],
    );
    assert.equal(feed.ticksPerSecond, 50);
    const twin = (await createFeed('simulator', { settings })) as MarketSimulator;
    assert.equal(twin.seed, feed.seed);
    assert.deepEqual(
      twin.snapshot().map((q) => q.last),
      feed.snapshot().map((q) => q.last),
    );
    const counted = (await createFeed('simulator', { settings: { symbols: 3 } })) as MarketSimulator;
    assert.equal(counted.universe().length, 3);
  });

  test('"simulator" defaults to the default universe at 200 ticks/s; bad settings are spec errors', async () => {
    const feed = (await createFeed('simulator')) as MarketSimulator;
    assert.ok(feed.universe().length >= 30, `${feed.universe().length} symbols`);
    assert.equal(feed.ticksPerSecond, 200);
    assert.equal(feed.tickIntervalMs, 50);
    await rejects('simulator', /^simulator: ticksPerSecond must be a number/, { settings: { ticksPerSecond: 0 } });
    await rejects('simulator:42', /^simulator:42: the simulator takes no argument/);
  });

  test('object specs keep working, their own fields over the settings', async () => {
    const feed = await createFeed(
      { kind: 'simulator', seed: 'abc', symbols: ['AAPL', '600519.SH'], ticksPerSecond: 50, tickIntervalMs: 20 },
      { settings: { ticksPerSecond: 999, symbols: 7 } },
    );
    assert.ok(feed instanceof MarketSimulator);
    assert.equal(feed.universe().length, 2);
    assert.equal(feed.ticksPerSecond, 50);
    assert.equal(feed.tickIntervalMs, 20);
    const file = await fixture('object.ndjson', '{"symbol":"A","last":1,"ts":0}\n');
    const replay = await createFeed({ kind: 'replay', file, speed: 2 });
    assert.ok(replay instanceof ReplayFeed);
    assert.equal(replay.speed, 2);
    assert.equal(replay.loop, false, 'object specs do not loop unless asked');
    await rejects({ kind: 'replay', file: '/nonexistent/quotes.ndjson' }, /^replay:\/nonexistent\/quotes\.ndjson: ENOENT/);
    await rejects({ kind: 'upstream' } as unknown as FeedSpec, /^unknown feed kind "upstream" \(known kinds: .*module.*replay.*simulator/);
  });

  test('"replay:FILE" resolves FILE against cwd and loops', async () => {
    await fixture('rec.ndjson', '{"symbol":"A","last":1,"ts":0}\n{"symbol":"A","last":2,"ts":10}\n');
    const feed = await createFeed('replay:rec.ndjson', { cwd: dir });
    assert.ok(feed instanceof ReplayFeed);
    assert.equal(feed.loop, true);
    assert.deepEqual(
      feed.universe().map((s) => s.symbol),
      ['A'],
    );
    await rejects('replay:', /^replay:: replay needs a file: replay:FILE$/);
    await rejects('replay:missing.ndjson', /^replay:missing\.ndjson: ENOENT/, { cwd: dir });
    const bad = await fixture('bad.ndjson', '{"symbol":"A","last":-1,"ts":0}\n');
    await rejects(`replay:${bad}`, /bad\.ndjson:1: A: "last" must be a positive price, got -1$/);
  });

  test('an unknown kind lists the known ones', async () => {
    await rejects('upstream:wss://example.test', /^unknown feed kind "upstream" \(known kinds: alpaca, binance, finnhub, module, replay, simulator/);
    await rejects('', /empty feed kind/);
    await rejects(':x', /empty feed kind/);
  });
});

describe('createFeed: module:PATH', () => {
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tickstream-modules-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('loads the default-export factory relative to cwd, passes the context and #ARG', { timeout: 10_000 }, async () => {
    await fixture('echo.mjs', ECHO_MODULE);
    const logger = { info() {}, warn() {}, error() {} };
    const settings = { seed: 1 };
    const feed = await createFeed('module:./echo.mjs#hello:world', { cwd: dir, settings, logger });
    assert.equal(feed.name, 'echo:hello:world');
    const context = (feed as QuoteFeed & { context: FeedContext }).context;
    assert.equal(context.arg, 'hello:world');
    assert.equal(context.cwd, dir);
    assert.equal(context.settings, settings);
    assert.equal(context.logger, logger);
    const sink = new RecordingSink();
    await feed.start(sink);
    assert.deepEqual(sink.sequence, ['universe', 'quotes', 'status:up']);
    await feed.stop();
    // An absolute path (and no #) works from anywhere, with an empty arg.
    assert.equal((await createFeed(`module:${join(dir, 'echo.mjs')}`)).name, 'echo:');
  });

  test('each way a module can be wrong has its own message', async () => {
    await rejects('module:', /^module:: module needs a file/);
    await rejects('module:./nope.mjs', /^module:\.\/nope\.mjs: file not found \(.*nope\.mjs\)$/, { cwd: dir });
    await rejects(`module:${dir}`, /not a file/);
    await fixture('syntax.mjs', 'export default function (\n');
    await rejects('module:./syntax.mjs', /^module:\.\/syntax\.mjs: cannot load .*syntax\.mjs: /, { cwd: dir });
    await fixture('named.mjs', 'export function feed() {}\n');
    await rejects('module:./named.mjs', /named\.mjs has no default export; it must `export default` a feed factory/, { cwd: dir });
    await fixture('object.mjs', 'export default { start() {}, stop() {} };\n');
    await rejects('module:./object.mjs', /the default export of .*object\.mjs is object, not a feed factory function/, { cwd: dir });
    await fixture('null.mjs', 'export default () => null;\n');
    await rejects('module:./null.mjs', /^module:\.\/null\.mjs: the factory returned null, not a feed \(an object with start and stop functions\)$/, { cwd: dir });
    await fixture('nostop.mjs', 'export default () => ({ name: "x", start() {} });\n');
    await rejects('module:./nostop.mjs', /the factory returned an object without stop function, not a feed/, { cwd: dir });
    await fixture('noname.mjs', 'export default () => ({ start() {}, async stop() {} });\n');
    await rejects('module:./noname.mjs', /the factory returned a feed without a name/, { cwd: dir });
    await fixture('throws.mjs', 'export default async (ctx) => { throw new Error("bad argument " + JSON.stringify(ctx.arg) + "\\nsecond line"); };\n');
    await rejects('module:./throws.mjs#x', /^module:\.\/throws\.mjs#x: bad argument "x" second line$/, { cwd: dir });
  });
});

describe('registerFeedKind', () => {
  test('a registered kind builds feeds from its spec strings', async () => {
    const seen: FeedContext[] = [];
    registerFeedKind('test-constant', (context) => {
      seen.push(context);
      return { name: `constant:${context.arg}`, start() {}, stop: () => Promise.resolve() };
    });
    assert.ok(feedKinds().includes('test-constant'));
    const feed = await createFeed('test-constant:a:b', { cwd: '/somewhere', settings: { symbols: ['X'] } });
    assert.equal(feed.name, 'constant:a:b');
    assert.equal(seen[0]!.arg, 'a:b');
    assert.equal(seen[0]!.cwd, '/somewhere');
    assert.deepEqual(seen[0]!.settings, { symbols: ['X'] });
    assert.equal((await createFeed('test-constant')).name, 'constant:', 'no argument: arg is ""');
  });

  test('refuses duplicates, bad names and non-functions', () => {
    assert.throws(() => registerFeedKind('simulator', () => new MarketSimulator()), /feed kind "simulator" is already registered/);
    assert.throws(() => registerFeedKind('Bad:Kind', () => new MarketSimulator()), TypeError);
    assert.throws(() => registerFeedKind('', () => new MarketSimulator()), TypeError);
    assert.throws(() => registerFeedKind('test-nofn', 42 as unknown as () => QuoteFeed), TypeError);
  });

  test('a registered factory that throws a non-Error still gives a FeedSpecError', async () => {
    registerFeedKind('test-throws', () => {
      throw 'plain string';
    });
    await rejects('test-throws', /^test-throws: plain string$/);
  });
});
