import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { createLogger } from '../../src/app/logger.js';
import { redactUrl } from '../../src/hub/index.js';
import { openClient, spawnCli, waitForListening } from '../helpers/server.js';

const SECRET = 's3cret-Token-4711';

describe('no secrets in logs', { timeout: 30_000 }, () => {
  test('redactUrl hides credential parameters and keeps the rest', () => {
    assert.equal(redactUrl(`/?symbols=AAPL&token=${SECRET}&interval=0`), '/?symbols=AAPL&token=***&interval=0');
    assert.equal(redactUrl(`/ws?TOKEN=${SECRET}`), '/ws?TOKEN=***');
    assert.equal(redactUrl(`/?access_token=${SECRET}#x`), '/?access_token=***#x');
    assert.equal(redactUrl('/?symbols=TOKEN'), '/?symbols=TOKEN');
  });

  test('the logger scrubs any `url` and Authorization header, whoever logs them', async () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    const logger = createLogger({ format: 'json', level: 'debug', destination: out });
    logger.info({ url: `/?token=${SECRET}` }, 'a');
    logger.child({ component: 'x' }).warn({ url: `/ws?jwt=${SECRET}`, headers: { authorization: `Bearer ${SECRET}` } }, 'b');
    logger.info({ req: { headers: { authorization: `Bearer ${SECRET}` } } }, 'c');
    await new Promise((r) => setImmediate(r));
    assert.doesNotMatch(text, new RegExp(SECRET));
    assert.match(text, /token=\*\*\*/);
    assert.equal(text.trim().split('\n').length, 3);
  });

  test('a full run with --auth-token at debug level never prints the token', async () => {
    const cli = spawnCli(['serve', '--host', '127.0.0.1', '--port', '0', '--auth-token', SECRET, '--log-level', 'debug', '--log-format', 'json']);
    try {
      const port = await waitForListening(cli);
      const viaQuery = await openClient(`ws://127.0.0.1:${port}/?symbols=AAPL&token=${SECRET}`);
      await viaQuery.nextOfType('snapshot');
      const viaHeader = await openClient(`ws://127.0.0.1:${port}/?symbols=MSFT`, { headers: { Authorization: `Bearer ${SECRET}` } });
      await viaHeader.nextOfType('snapshot');
      assert.equal((await fetch(`http://127.0.0.1:${port}/nowhere?token=${SECRET}`)).status, 404);
      await assert.rejects(openClient(`ws://127.0.0.1:${port}/?token=wrong-${SECRET}`), /401/);
      await viaQuery.close();
      await viaHeader.close();
      cli.child.kill('SIGTERM');
      assert.equal(await cli.exited, 0);
      const everything = cli.lines.join('\n') + cli.stderr();
      assert.match(everything, /"msg":"connection open"/, 'debug lines were written');
      assert.match(everything, /token=\*\*\*/, 'the URL is logged, scrubbed');
      assert.doesNotMatch(everything, new RegExp(SECRET));
    } finally {
      cli.kill();
    }
  });
});
