/**
 * Shared test helpers: a server on 127.0.0.1:0 with a seeded market, a WebSocket client that lets a
 * test await the messages it needs, and a way to spawn the real CLI (from dist/ when the tests run
 * compiled, through tsx when they run from source).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { startServer, type TickstreamServer, type TickstreamServerOptions } from '../../src/app/server.js';
import { Inbox } from './inbox.js';
import { connect, type ClientOptions, type WebSocketConnection } from '../../src/transport/index.js';
import type { CommandId, WireQuote } from '../../src/wire/index.js';

export const TEST_SEED = 20240601;

/** startServer on 127.0.0.1, ephemeral port, no logging, seeded simulator (unless opts override). */
export function startTestServer(opts: TickstreamServerOptions = {}): Promise<TickstreamServer> {
  return startServer({
    host: '127.0.0.1',
    port: 0,
    logger: false,
    feed: { kind: 'simulator', seed: TEST_SEED },
    ...opts,
  });
}

/**
 * A parsed server → client message, loosely typed so tests can probe any member (`m.symbols`,
 * `m.code`) without narrowing. The exact types are src/wire's ServerMessage.
 */
export type WireMessage = { type: string; id?: CommandId; [key: string]: unknown };

export type { WireQuote };

export interface TestClient {
  readonly conn: WebSocketConnection;
  /** Every message received so far, in order, with its arrival time (performance.now()). */
  readonly received: ReadonlyArray<{ message: WireMessage; at: number }>;
  /** Resolves with the close code and reason. */
  readonly closed: Promise<{ code: number; reason: string }>;
  /**
   * The next not-yet-taken message matching `predicate` (messages before it are skipped), waiting
   * for it if needed; rejects after `timeoutMs` or if the connection closes first.
   */
  next(predicate?: (m: WireMessage) => boolean, timeoutMs?: number): Promise<WireMessage>;
  /** Shorthand for next(m => m.type === type). */
  nextOfType(type: string, timeoutMs?: number): Promise<WireMessage>;
  send(message: object): void;
  close(): Promise<void>;
}

export async function openClient(url: string, options: ClientOptions = {}): Promise<TestClient> {
  const conn = await connect(url, options);
  const inbox = new Inbox<{ message: WireMessage; at: number }>();
  let closeInfo: { code: number; reason: string } | undefined;
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    conn.on('close', (code: number, reason: string) => {
      closeInfo = { code, reason };
      resolve(closeInfo);
      inbox.end(() => `connection closed (${code} ${reason}) while waiting`);
    });
  });
  conn.on('message', (data: Buffer) => {
    inbox.push({ message: JSON.parse(data.toString('utf8')) as WireMessage, at: performance.now() });
  });
  const received = inbox.items;

  const next = async (predicate: (m: WireMessage) => boolean = () => true, timeoutMs = 5_000): Promise<WireMessage> => {
    const entry = await inbox.next((e) => predicate(e.message), timeoutMs, () => `timed out after ${timeoutMs} ms waiting for a message`);
    return entry.message;
  };

  return {
    conn,
    received,
    closed,
    next,
    nextOfType: (type, timeoutMs) => next((m) => m.type === type, timeoutMs),
    send: (message) => conn.send(JSON.stringify(message)),
    close: async () => {
      if (!closeInfo) conn.close(1000);
      await closed;
    },
  };
}

export function quotesOf(message: WireMessage): WireQuote[] {
  return (message.quotes as WireQuote[] | undefined) ?? [];
}

// ------------------------------------------------------------------ the CLI as a child process

/** The repository root (holds package.json), from this file in test/helpers or dist/test/helpers. */
export const PACKAGE_ROOT: string = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'src'))) return dir;
    dir = dirname(dir);
  }
  throw new Error('cannot find the package root from ' + import.meta.url);
})();

const RUNNING_FROM_SOURCE = import.meta.url.endsWith('.ts');

/** node + arguments that run the CLI the same way the tests themselves run (compiled or via tsx). */
export function cliCommand(args: readonly string[]): { command: string; args: string[] } {
  const entry = RUNNING_FROM_SOURCE
    ? ['--import', 'tsx', join(PACKAGE_ROOT, 'src/app/cli.ts')]
    : [join(PACKAGE_ROOT, 'dist/src/app/cli.js')];
  return { command: process.execPath, args: [...entry, ...args] };
}

export interface SpawnedCli {
  readonly child: ChildProcess;
  /** Lines of stdout, as they arrive. */
  readonly lines: string[];
  readonly stderr: () => string;
  /** Resolves with the exit code (or the signal name). */
  readonly exited: Promise<number | string>;
  /** Waits for the next stdout line (after those already handed out) matching `predicate`. */
  waitForLine(predicate: (line: string) => boolean, timeoutMs?: number): Promise<string>;
  /** SIGKILLs the process if it is still running. */
  kill(): void;
}

export function spawnCli(args: readonly string[], env: NodeJS.ProcessEnv = {}): SpawnedCli {
  const { command, args: fullArgs } = cliCommand(args);
  const child = spawn(command, fullArgs, {
    cwd: PACKAGE_ROOT,
    env: { ...process.env, NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const inbox = new Inbox<string>(); // each line is handed out once, in order
  const lines = inbox.items;
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  createInterface({ input: child.stdout! }).on('line', (line) => inbox.push(line));
  const exited = new Promise<number | string>((resolve) => {
    child.on('exit', (code, signal) => {
      resolve(code ?? signal ?? 'unknown');
      inbox.end(() => `CLI exited before the expected line; stderr: ${stderr}`);
    });
  });
  const waitForLine = (predicate: (line: string) => boolean, timeoutMs = 10_000): Promise<string> =>
    inbox.next(predicate, timeoutMs, () => `timed out waiting for a CLI line; stdout: ${lines.join('\n')}\nstderr: ${stderr}`);
  return {
    child,
    lines,
    stderr: () => stderr,
    exited,
    waitForLine,
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

/** Waits for the server's `{"msg":"listening",...}` log line and returns its port. */
export async function waitForListening(cli: SpawnedCli, timeoutMs = 15_000): Promise<number> {
  const line = await cli.waitForLine((l) => l.includes('"msg":"listening"'), timeoutMs);
  return (JSON.parse(line) as { port: number }).port;
}
