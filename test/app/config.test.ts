// Configuration merging and validation (pure: no server).
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ConfigError, loadServeConfig } from '../../src/app/config.js';
import { SERVE_DEFAULTS, SERVE_OPTIONS } from '../../src/app/options.js';
import { toServerOptions } from '../../src/app/serve-command.js';

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
    ['bad boolean', { env: { TICKSTREAM_DEFLATE: 'perhaps' } }, /TICKSTREAM_DEFLATE: expected true or false/],
    ['interval below 10', { flags: { interval: '5' } }, /--interval must be 0 or 10\.\.60000/],
    ['cert without key', { flags: { 'tls-cert': 'c.pem' } }, /--tls-cert and --tls-key must be given together/],
    ['hard limit below high-water mark', { flags: { 'high-water-mark': '1m', 'hard-limit': '512k' } }, /--hard-limit/],
    ['bad feed', { flags: { feed: 'upstream' } }, /expected "simulator" or "replay:<file>"/],
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

describe('toServerOptions', () => {
  test('builds the simulator spec and rejects symbols outside the default universe', () => {
    const options = toServerOptions(loadServeConfig({ flags: { seed: '3', symbols: 'AAPL,MSFT', 'ticks-per-second': '50' } }));
    assert.deepEqual(options.feed, { kind: 'simulator', seed: 3, ticksPerSecond: 50, symbols: ['AAPL', 'MSFT'] });
    assert.throws(() => toServerOptions(loadServeConfig({ flags: { symbols: 'AAPL,NOPE' } })), /not in the default universe: NOPE/);
    assert.throws(() => toServerOptions(loadServeConfig({ flags: { feed: 'replay:/nonexistent/x.ndjson' } })), /--feed: cannot read replay file/);
  });

  test('a replay feed loops over a readable recording', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tickstream-replay-'));
    try {
      const file = join(dir, 'ticks.ndjson');
      await writeFile(file, '{"symbol":"AAPL","last":1,"ts":1}\n');
      assert.deepEqual(toServerOptions(loadServeConfig({ flags: { feed: `replay:${file}` } })).feed, { kind: 'replay', file, loop: true });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('unreadable TLS files are a configuration error', () => {
    const config = loadServeConfig({ flags: { 'tls-cert': '/nonexistent/c.pem', 'tls-key': '/nonexistent/k.pem' } });
    assert.throws(() => toServerOptions(config), (err: unknown) => err instanceof ConfigError && /--tls-cert: cannot read/.test(err.message));
  });
});
