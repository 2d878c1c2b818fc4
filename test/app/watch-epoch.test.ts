import { describe, test } from 'node:test';
import { QuoteWatcher, type WatchOutput } from '../../src/app/watch.js';
import { FakeFeed, makeQuote } from '../hub/fakes.js';
import { startTestServer } from '../helpers/server.js';

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
  /** The last full screen drawn (each redraw starts at the cursor-home sequence). */
  get screen(): string {
    return this.text.slice(this.text.lastIndexOf('\x1b[H'));
  }
  async waitFor(pattern: RegExp, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pattern.test(this.screen)) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${pattern}; screen:\n${this.screen}`);
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

describe('tickstream watch across a feed restart (new epoch)', () => {
  test('the table shows the new epoch\'s prices although their seqs are lower than the old ones', { timeout: 30_000 }, async () => {
    // Old epoch: AAPL at seq 1000 and 111.11.
    const oldFeed = new FakeFeed(['AAPL']);
    let server = await startTestServer({ feed: oldFeed, intervalMs: 0 });
    const port = server.port;
    oldFeed.pushRaw([makeQuote('AAPL', 111.11, 1000, Date.now())]);
    const out = new FakeTerminal();
    const err = new FakeTerminal();
    const watcher = new QuoteWatcher({ url: `ws://127.0.0.1:${port}`, symbols: ['AAPL'], json: false, out, err, color: false });
    const running = watcher.run();
    try {
      await out.waitFor(/AAPL.*111\.11/);
      await server.close();
      // New epoch on the same port: seq starts over at 1 with another price.
      const newFeed = new FakeFeed(['AAPL']);
      server = await startTestServer({ feed: newFeed, intervalMs: 0, port });
      newFeed.push(['AAPL', 222.22]);
      await out.waitFor(/AAPL.*(100\.00|222\.22)/);
      newFeed.push(['AAPL', 223.45]);
      await out.waitFor(/AAPL.*223\.45/);
    } finally {
      watcher.stop();
      await running;
      await server.close();
    }
  });
});
