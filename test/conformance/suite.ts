/**
 * Registers a table of conformance cases as node:test tests against one `tickstream echo` server
 * (startEchoServer, the same target the real Autobahn fuzzingclient would use).
 */
import { after, before, describe, test } from 'node:test';
import { startEchoServer, type EchoServer } from '../../src/app/echo.js';
import { runCase, type ConformanceCase } from './case-runner.js';

export interface SuiteOptions {
  /** Cases run this many at a time (independent connections). Default 8. */
  concurrency?: number;
  /** Per-case bound. Default 10 s. */
  timeoutMs?: number;
  /** Known engine bugs not fixed yet: case id -> description (the test is reported as todo). */
  knownBugs?: Record<string, string>;
}

export function conformanceSuite(name: string, cases: ConformanceCase[], options: SuiteOptions = {}): void {
  describe(name, { concurrency: options.concurrency ?? 8 }, () => {
    let server: EchoServer;
    before(async () => {
      server = await startEchoServer({ port: 0, host: '127.0.0.1' });
    });
    after(async () => {
      await server.close();
    });
    for (const c of cases) {
      const bug = options.knownBugs?.[c.id];
      const testOptions = { timeout: options.timeoutMs ?? 10_000, ...(bug === undefined ? {} : { todo: `engine bug: ${bug}` }) };
      test(`${c.id} ${c.title}`, testOptions, () => runCase(server.port, c));
    }
  });
}
