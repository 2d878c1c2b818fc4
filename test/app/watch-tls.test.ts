// `tickstream watch --ca FILE` against a local wss:// server whose certificate a private CA signed
// (made here with openssl): trusted with --ca, refused (exit 1, clear message) without, and a bad
// --ca file is a usage error (exit 2) before any connection.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { TickstreamServer } from '../../src/app/server.js';
import { loadCaBundle, QuoteWatcher, type WatchOutput } from '../../src/app/watch.js';
import { spawnCli, startTestServer, type SpawnedCli } from '../helpers/server.js';

function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: 'pipe', timeout: 20_000 });
}

/** A CA, and a certificate for localhost / 127.0.0.1 signed by it. */
async function makeCa(dir: string): Promise<{ caFile: string; cert: Buffer; key: Buffer }> {
  const caKey = join(dir, 'ca.key');
  const caFile = join(dir, 'ca.pem');
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=tickstream test CA', '-days', '1',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    '-keyout', caKey, '-out', caFile]);
  const extFile = join(dir, 'leaf.ext');
  await writeFile(extFile, 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n');
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'leaf.csr')]);
  openssl(['x509', '-req', '-in', join(dir, 'leaf.csr'), '-CA', caFile, '-CAkey', caKey, '-CAcreateserial', '-days', '1',
    '-extfile', extFile, '-out', join(dir, 'cert.pem')]);
  return { caFile, cert: await readFile(join(dir, 'cert.pem')), key: await readFile(join(dir, 'key.pem')) };
}

function spawnWatch(args: readonly string[]): SpawnedCli & { closed: Promise<void> } {
  const cli = spawnCli(['watch', ...args], { TICKSTREAM_AUTH_TOKEN: '' });
  const closed = new Promise<void>((resolve) => cli.child.once('close', () => resolve()));
  return Object.assign(cli, { closed });
}

async function exitWithin(cli: SpawnedCli & { closed: Promise<void> }, timeoutMs: number): Promise<number | string> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the watcher did not exit within ${timeoutMs} ms; stderr: ${cli.stderr()}`)), timeoutMs);
  });
  try {
    const [code] = await Promise.race([Promise.all([cli.exited, cli.closed]), timeout]);
    return code;
  } finally {
    clearTimeout(timer);
  }
}

/** A terminal that keeps what was drawn and lets the test wait for a screen matching a pattern. */
class FakeTerminal implements WatchOutput {
  readonly columns = 120;
  readonly rows = 40;
  text = '';
  private waiters: Array<() => void> = [];
  write(chunk: string): boolean {
    this.text += chunk;
    for (const wake of this.waiters.splice(0)) wake();
    return true;
  }
  async waitFor(pattern: RegExp, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pattern.test(this.text.slice(this.text.lastIndexOf('\x1b[H')))) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${pattern}; screen:\n${this.text.slice(-2000)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
}

describe('tickstream watch --ca', () => {
  let dir: string;
  let caFile: string;
  let server: TickstreamServer;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tickstream-watch-ca-'));
    const made = await makeCa(dir);
    caFile = made.caFile;
    server = await startTestServer({ tls: { cert: made.cert, key: made.key }, intervalMs: 100 });
  });
  after(async () => {
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('with the CA bundle, wss:// quotes arrive', { timeout: 20_000 }, async () => {
    const cli = spawnWatch([server.wsUrl, 'AAPL', '--json', '--ca', caFile]);
    try {
      const quote = JSON.parse(await cli.waitForLine(() => true, 10_000)) as { symbol: string };
      assert.equal(quote.symbol, 'AAPL');
      cli.child.kill('SIGINT');
      assert.equal(await exitWithin(cli, 10_000), 0);
    } finally {
      cli.kill();
    }
  });

  test('with the CA bundle, the table also gets company names over https', { timeout: 20_000 }, async () => {
    const out = new FakeTerminal();
    const err = new FakeTerminal();
    const watcher = new QuoteWatcher({ url: server.wsUrl, symbols: ['AAPL'], json: false, out, err, color: false, tls: { ca: loadCaBundle(caFile) } });
    const running = watcher.run();
    try {
      await out.waitFor(/AAPL\s+Apple Inc\./);
    } finally {
      watcher.stop();
      assert.equal(await running, 0);
    }
  });

  test('without it, the certificate is refused: exit 1 at once, naming --ca', { timeout: 20_000 }, async () => {
    const cli = spawnWatch([server.wsUrl, 'AAPL', '--json']);
    try {
      assert.equal(await exitWithin(cli, 10_000), 1);
      const stderr = cli.stderr();
      assert.match(stderr, /giving up on wss:\/\/127\.0\.0\.1:\d+\/\?symbols=AAPL: the server's TLS certificate is not trusted \(.*certificate.*\)/);
      assert.match(stderr, /--ca FILE/);
      assert.doesNotMatch(stderr, /reconnecting/);
      assert.deepEqual(cli.lines, []);
    } finally {
      cli.kill();
    }
  });

  test('an unreadable, a non-PEM or a corrupt --ca file → exit 2 before connecting', { timeout: 20_000 }, async () => {
    const notPem = join(dir, 'not.pem');
    await writeFile(notPem, 'this is not a certificate\n');
    const corrupt = join(dir, 'corrupt.pem');
    await writeFile(corrupt, '-----BEGIN CERTIFICATE-----\nAAAAnotreallyDER\n-----END CERTIFICATE-----\n');
    const cases: Array<[string, RegExp]> = [
      [join(dir, 'missing.pem'), /--ca .*missing\.pem: cannot read it \(ENOENT\)/],
      [dir, /--ca .*: cannot read it \(EISDIR\)/],
      [notPem, /--ca .*not\.pem: no PEM certificate in it/],
      [corrupt, /--ca .*corrupt\.pem: certificate 1 of 1 is not a valid PEM certificate/],
    ];
    for (const [file, message] of cases) {
      const cli = spawnWatch([server.wsUrl, 'AAPL', '--json', '--ca', file]);
      try {
        assert.equal(await exitWithin(cli, 10_000), 2, file);
        assert.match(cli.stderr(), message);
        assert.doesNotMatch(cli.stderr(), /connecting/, 'no connection was attempted');
      } finally {
        cli.kill();
      }
    }
  });
});
