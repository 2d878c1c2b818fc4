// Configuration merging and validation (pure: no server).
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { ConfigError, editDistance, loadServeConfig, nearestFlag, unknownOptionError } from '../../src/app/config.js';
import { SERVE_DEFAULTS, SERVE_OPTIONS } from '../../src/app/options.js';
import { buildFeed, toServerOptions } from '../../src/app/serve-command.js';
import { silentLogger } from '../../src/app/logger.js';
import { MarketSimulator, ReplayFeed } from '../../src/market/index.js';

describe('loadServeConfig', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tickstream-config-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  async function configFile(content: unknown): Promise<string> {
    const file = join(dir, `c${Math.random().toString(36).slice(2)}.json`);
    await writeFile(file, typeof content === 'string' ? content : JSON.stringify(content));
    return file;
  }

  test('no sources: the defaults (port 8765, interval 1000)', () => {
    const config = loadServeConfig({});
    assert.deepEqual(config, SERVE_DEFAULTS);
    assert.equal(config.port, 8765);
    assert.equal(config.interval, 1000);
  });

  test('precedence: flags > env > file > defaults', async () => {
    const file = await configFile({ port: 1111, host: '10.0.0.1', interval: 500, heartbeat: 20000 });
    const env = { TICKSTREAM_PORT: '2222', TICKSTREAM_HOST: '127.0.0.1' };
    const config = loadServeConfig({ flags: { port: '3333' }, env, configFile: file });
    assert.equal(config.port, 3333); // flag
    assert.equal(config.host, '127.0.0.1'); // env over file
    assert.equal(config.interval, 500); // file over default
    assert.equal(config.heartbeat, 20000);
    assert.equal(config.pingInterval, SERVE_DEFAULTS.pingInterval); // default
  });

  test('typed values: booleans, byte sizes, lists, symbols', () => {
    const config = loadServeConfig({
      flags: { deflate: true, 'high-water-mark': '64k', 'allowed-origins': 'https://a.example, https://b.example' },
      env: { TICKSTREAM_HARD_LIMIT: '2m', TICKSTREAM_SYMBOLS: 'aapl,600519.sh' },
    });
    assert.equal(config.deflate, true);
    assert.equal(config.highWaterMark, 64 * 1024);
    assert.equal(config.hardLimit, 2 * 1024 * 1024);
    assert.deepEqual(config.allowedOrigins, ['https://a.example', 'https://b.example']);
    assert.deepEqual(config.symbols, ['AAPL', '600519.SH']);
    assert.equal(loadServeConfig({ env: { TICKSTREAM_SYMBOLS: '500' } }).symbols, 500);
    assert.equal(loadServeConfig({ env: { TICKSTREAM_DEFLATE: 'off' }, flags: {} }).deflate, false);
    for (const word of ['1', 'TRUE', 'yes', 'On']) assert.equal(loadServeConfig({ env: { TICKSTREAM_DEFLATE: word } }).deflate, true, word);
    for (const word of ['0', 'False', 'NO', 'off']) assert.equal(loadServeConfig({ env: { TICKSTREAM_DEFLATE: word } }).deflate, false, word);
  });

  test('replay settings: speed 1 and looping by default; --replay-speed N|max, --no-replay-loop', async () => {
    assert.deepEqual([SERVE_DEFAULTS.replaySpeed, SERVE_DEFAULTS.replayLoop], [1, true]);
    assert.equal(loadServeConfig({ flags: { 'replay-speed': '10' } }).replaySpeed, 10);
    assert.equal(loadServeConfig({ flags: { 'replay-speed': 'MAX' } }).replaySpeed, 'max');
    assert.equal(loadServeConfig({ env: { TICKSTREAM_REPLAY_SPEED: '0.5' } }).replaySpeed, 0.5);
    assert.equal(loadServeConfig({ flags: { 'replay-loop': false } }).replayLoop, false);
    assert.equal(loadServeConfig({ env: { TICKSTREAM_REPLAY_LOOP: 'off' } }).replayLoop, false);
    const file = await configFile({ replaySpeed: 'max', replayLoop: false });
    assert.deepEqual(
      (({ replaySpeed, replayLoop }) => [replaySpeed, replayLoop])(loadServeConfig({ configFile: file })),
      ['max', false],
    );
    assert.equal(loadServeConfig({ configFile: await configFile({ replaySpeed: 10 }) }).replaySpeed, 10);
  });

  test('relative paths in the config file are resolved against its directory', async () => {
    const file = await configFile({ tlsCert: 'cert.pem', tlsKey: 'key.pem', feed: 'replay:ticks.ndjson' });
    const config = loadServeConfig({ configFile: file });
    assert.equal(config.tlsCert, join(dir, 'cert.pem'));
    assert.equal(config.feed, `replay:${join(dir, 'ticks.ndjson')}`);
  });

  const invalid: Array<[string, Parameters<typeof loadServeConfig>[0], RegExp]> = [
    ['non-numeric port', { flags: { port: 'http' } }, /--port: expected an integer/],
    ['port out of range', { env: { TICKSTREAM_PORT: '70000' } }, /TICKSTREAM_PORT: 70000 is out of range 0\.\.65535/],
    ['bad enum', { flags: { 'log-format': 'xml' } }, /--log-format: "xml" is not one of json, pretty/],
    // The message lists every accepted spelling, not only true and false.
    ['bad boolean', { env: { TICKSTREAM_DEFLATE: 'perhaps' } }, /^TICKSTREAM_DEFLATE: expected true or false \(also 1\/0, yes\/no, on\/off\), got "perhaps"$/],
    ['bad boolean in another variable', { env: { TICKSTREAM_REPLAY_LOOP: 'maybe' } }, /^TICKSTREAM_REPLAY_LOOP: expected true or false \(also 1\/0, yes\/no, on\/off\), got "maybe"$/],
    ['replay speed 0', { flags: { 'replay-speed': '0' } }, /^--replay-speed: expected a speed like 1, 10 or max \(a number in \(0, 1000000\]\), got "0"$/],
    ['replay speed that is not a number', { env: { TICKSTREAM_REPLAY_SPEED: 'fast' } }, /^TICKSTREAM_REPLAY_SPEED: expected a speed like 1, 10 or max/],
    ['negative replay speed', { flags: { 'replay-speed': '-10' } }, /--replay-speed: expected a speed/],
    ['interval below 10', { flags: { interval: '5' } }, /--interval must be 0 or 10\.\.60000/],
    ['cert without key', { flags: { 'tls-cert': 'c.pem' } }, /--tls-cert and --tls-key must be given together/],
    ['hard limit below high-water mark', { flags: { 'high-water-mark': '1m', 'hard-limit': '512k' } }, /--hard-limit/],
    ['malformed feed spec', { flags: { feed: 'Bad Spec!' } }, /expected a feed spec like "simulator"/],
    ['feed kind without its argument', { flags: { feed: 'replay:' } }, /"replay:" needs an argument/],
    ['bad worker count', { flags: { workers: 'lots' } }, /--workers: expected an integer/],
    ['broker that is not a Redis URL', { flags: { broker: 'http://u:secret@host' } }, /--broker: expected a Redis URL like redis:\/\/host:6379\/0, got "http:\/\/\*\*\*@host"/],
    ['bad broker prefix', { flags: { 'broker-prefix': 'a b' } }, /--broker-prefix: use 1 to 64 letters/],
    ['bad byte size', { flags: { 'max-payload': 'lots' } }, /expected a byte size/],
  ];
  for (const [name, sources, message] of invalid) {
    test(`rejects ${name}`, () => {
      assert.throws(() => loadServeConfig(sources), (err: unknown) => err instanceof ConfigError && message.test(err.message));
    });
  }

  test('rejects config files that are unreadable, not JSON, or have unknown keys', async () => {
    assert.throws(() => loadServeConfig({ configFile: join(dir, 'missing.json') }), /cannot read config file/);
    const [notJson, typo, array] = [await configFile('{port: 1'), await configFile({ prot: 1 }), await configFile([1])];
    assert.throws(() => loadServeConfig({ configFile: notJson }), /not valid JSON/);
    assert.throws(() => loadServeConfig({ configFile: typo }), /unknown key "prot"/);
    assert.throws(() => loadServeConfig({ configFile: array }), /must hold a JSON object/);
  });

  test('every option has a distinct flag, env var and config key', () => {
    for (const field of ['flag', 'env', 'key'] as const) {
      assert.equal(new Set(SERVE_OPTIONS.map((o) => o[field])).size, SERVE_OPTIONS.length, field);
    }
    assert.ok(SERVE_OPTIONS.every((o) => o.env === 'TICKSTREAM_' + o.flag.toUpperCase().replaceAll('-', '_')));
  });
});

describe('buildFeed', () => {
  const logger = silentLogger();

  test('builds the simulator from the settings and rejects symbols outside the default universe', async () => {
    const feed = await buildFeed(loadServeConfig({ flags: { seed: '3', symbols: 'AAPL,MSFT', 'ticks-per-second': '50' } }), logger);
    assert.ok(feed instanceof MarketSimulator);
    assert.equal(feed.seed, 3);
    assert.equal(feed.ticksPerSecond, 50);
    assert.deepEqual(feed.universe().map((i) => i.symbol), ['AAPL', 'MSFT']);
    await assert.rejects(buildFeed(loadServeConfig({ flags: { symbols: 'AAPL,NOPE' } }), logger), /not in the default universe: NOPE/);
  });

  test('feed spec errors are usage errors naming the flag', async () => {
    const fails = (feed: string, message: RegExp) =>
      assert.rejects(buildFeed(loadServeConfig({ flags: { feed } }), logger), (err: unknown) => err instanceof ConfigError && message.test(err.message));
    await fails('replay:/nonexistent/x.ndjson', /^--feed: .*x\.ndjson/);
    await fails('upstream', /^--feed: unknown feed kind "upstream" \(known kinds: .*simulator/);
    await fails('module:/nonexistent/feed.js', /^--feed: .*feed\.js/);
  });

  test('a replay feed loops over a readable recording by default; --replay-speed and --no-replay-loop reach it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tickstream-replay-'));
    try {
      const file = join(dir, 'ticks.ndjson');
      await writeFile(file, '{"symbol":"AAPL","last":1,"ts":1}\n');
      const feed = await buildFeed(loadServeConfig({ flags: { feed: `replay:${file}` } }), logger);
      assert.ok(feed instanceof ReplayFeed);
      assert.deepEqual([feed.loop, feed.speed], [true, 1]);
      const csv = join(dir, 'ticks.csv');
      await writeFile(csv, 'ts,symbol,last\n1,AAPL,1\n');
      const once = await buildFeed(loadServeConfig({ flags: { feed: `replay:${csv}`, 'replay-speed': 'max', 'replay-loop': false } }), logger);
      assert.ok(once instanceof ReplayFeed);
      assert.deepEqual([once.loop, once.speed, once.format], [false, Infinity, 'csv']);
      const ten = await buildFeed(loadServeConfig({ flags: { feed: `replay:${csv}` }, env: { TICKSTREAM_REPLAY_SPEED: '10' } }), logger);
      assert.ok(ten instanceof ReplayFeed);
      assert.equal(ten.speed, 10);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('toServerOptions', () => {
  test('unreadable TLS files are a configuration error', () => {
    const config = loadServeConfig({ flags: { 'tls-cert': '/nonexistent/c.pem', 'tls-key': '/nonexistent/k.pem' } });
    assert.throws(() => toServerOptions(config), (err: unknown) => err instanceof ConfigError && /--tls-cert: cannot read/.test(err.message));
  });
});

describe('unknown options: the nearest known flag', () => {
  const serveFlags = SERVE_OPTIONS.map((o) => o.flag);

  test('edit distance counts insertions, deletions, substitutions and swapped neighbours as 1', () => {
    assert.equal(editDistance('port', 'port'), 0);
    assert.equal(editDistance('prot', 'port'), 1); // swap
    assert.equal(editDistance('prt', 'port'), 1); // insertion
    assert.equal(editDistance('portt', 'port'), 1); // deletion
    assert.equal(editDistance('pork', 'port'), 1); // substitution
    assert.equal(editDistance('', 'abc'), 3);
    assert.equal(editDistance('colour', 'config'), 4);
  });

  test('suggests a flag only when it is close enough to be a typo', () => {
    assert.equal(nearestFlag('prot', serveFlags), 'port');
    assert.equal(nearestFlag('PORT', serveFlags), 'port');
    assert.equal(nearestFlag('heartbeats', serveFlags), 'heartbeat');
    assert.equal(nearestFlag('max-conections', serveFlags), 'max-connections');
    assert.equal(nearestFlag('replay-sped', serveFlags), 'replay-speed');
    assert.equal(nearestFlag('tls-certs', serveFlags), 'tls-cert');
    assert.equal(nearestFlag('colour', serveFlags), undefined);
    assert.equal(nearestFlag('x', serveFlags), undefined);
    assert.equal(nearestFlag('verbose', serveFlags), undefined);
    assert.equal(nearestFlag('jsn', ['json', 'interval', 'token', 'ca', 'help']), 'json');
  });

  test("turns parseArgs' unknown-option error into a usage error with the suggestion", () => {
    const parse = (args: string[]): unknown => {
      try {
        parseArgs({ args, options: { port: { type: 'string' }, deflate: { type: 'boolean' } }, strict: true, allowNegative: true });
      } catch (error) {
        return error;
      }
      return undefined;
    };
    const known = ['port', 'deflate', 'no-deflate'];
    const typo = unknownOptionError(parse(['--prot', '9000']), known);
    assert.ok(typo instanceof ConfigError);
    assert.equal(typo.message, 'unknown option --prot; did you mean --port?');
    assert.equal(unknownOptionError(parse(['--prot=9000']), known)?.message, 'unknown option --prot; did you mean --port?');
    assert.equal(unknownOptionError(parse(['--no-deflat']), known)?.message, 'unknown option --no-deflat; did you mean --no-deflate?');
    assert.equal(unknownOptionError(parse(['--colour']), known)?.message, 'unknown option --colour');
    assert.equal(unknownOptionError(parse(['-x']), known)?.message, 'unknown option -x');
    // Other errors are not its business.
    assert.equal(unknownOptionError(parse(['--port']), known), undefined);
    assert.equal(unknownOptionError(new Error('boom'), known), undefined);
  });
});
