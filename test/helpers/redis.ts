/**
 * A real `redis-server` for broker tests: 127.0.0.1, a free port, a temporary directory, no
 * persistence (so a kill + restart comes back empty, like a crashed cache). Tests that need Redis
 * FAIL when it is not installed: a skipped broker test would hide a broken broker path.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const REDIS_SERVER_BIN = '/usr/bin/redis-server';
const READY_LINE = 'Ready to accept connections';
const START_TIMEOUT_MS = 10_000;

/** Every server still running, killed if the test process exits without stopping them. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** A port that was free a moment ago (the kernel picks it; Redis may still lose a race, see start()). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export class RedisServer {
  private child: ChildProcess | null = null;
  private output = '';

  private constructor(
    readonly port: number,
    private readonly dir: string,
  ) {}

  /** Starts a server and resolves once it accepts connections. */
  static async start(): Promise<RedisServer> {
    if (!existsSync(REDIS_SERVER_BIN)) {
      throw new Error(`redis-server not installed (${REDIS_SERVER_BIN} missing): apt-get install redis-server`);
    }
    const dir = await mkdtemp(join(tmpdir(), 'tickstream-redis-'));
    let lastError: unknown;
    // A free port can be taken between freePort() and Redis binding it: try a few.
    for (let attempt = 0; attempt < 3; attempt++) {
      const server = new RedisServer(await freePort(), dir);
      try {
        await server.launch();
        return server;
      } catch (err) {
        lastError = err;
      }
    }
    await rm(dir, { recursive: true, force: true });
    throw lastError;
  }

  /**
   * A server that is NOT running yet, on a port that was free (for "Redis is not there when the
   * process starts" tests): clients can be pointed at `url`, then `restart()` brings it up.
   */
  static async notRunning(): Promise<RedisServer> {
    if (!existsSync(REDIS_SERVER_BIN)) {
      throw new Error(`redis-server not installed (${REDIS_SERVER_BIN} missing): apt-get install redis-server`);
    }
    return new RedisServer(await freePort(), await mkdtemp(join(tmpdir(), 'tickstream-redis-')));
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get isRunning(): boolean {
    return this.child !== null;
  }

  /** SIGKILL: no shutdown, no save; clients see their connections reset. */
  async kill(): Promise<void> {
    const child = this.child;
    if (child === null) return;
    this.child = null;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await exited;
    running.delete(child);
  }

  /** Kills (if running) and starts again on the same port, empty; resolves once it accepts connections. */
  async restart(): Promise<void> {
    await this.kill();
    await this.launch();
  }

  /** Kills the server and removes its directory. */
  async stop(): Promise<void> {
    await this.kill();
    await rm(this.dir, { recursive: true, force: true });
  }

  private launch(): Promise<void> {
    this.output = '';
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', this.dir, '--daemonize', 'no'];
    const child = spawn(REDIS_SERVER_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(child);
    return new Promise<void>((resolve, reject) => {
      const fail = (why: string): void => {
        clearTimeout(timer);
        running.delete(child);
        child.kill('SIGKILL');
        reject(new Error(`redis-server on port ${this.port} ${why}; its output:\n${this.output.slice(-2000)}`));
      };
      const timer = setTimeout(() => fail(`not ready after ${START_TIMEOUT_MS} ms`), START_TIMEOUT_MS);
      const onData = (chunk: Buffer): void => {
        this.output += chunk.toString('utf8');
        if (this.output.includes(READY_LINE)) {
          clearTimeout(timer);
          child.stdout?.off('data', onData);
          // Keep draining so a chatty server never blocks on a full pipe.
          child.stdout?.on('data', () => undefined);
          this.child = child;
          resolve();
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', (chunk: Buffer) => (this.output += chunk.toString('utf8')));
      child.once('error', (err) => fail(`could not be spawned: ${err.message}`));
      child.once('exit', (code, signal) => {
        running.delete(child);
        if (this.child === child) this.child = null;
        if (!this.output.includes(READY_LINE)) fail(`exited (code ${code}, signal ${signal}) before it was ready`);
      });
    });
  }
}
