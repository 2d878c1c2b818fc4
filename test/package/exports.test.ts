// The package's published entry points (package.json "exports") resolve and expose the public API.
import { test } from 'node:test';
import assert from 'node:assert/strict';

test('tickstream and tickstream/protocol entry points load', { timeout: 10_000 }, async () => {
  const main = (await import('tickstream')) as Record<string, unknown>;
  for (const name of ['WebSocketServer', 'connect', 'PreparedMessage', 'startServer', 'createFeed', 'QuoteHub']) {
    assert.equal(typeof main[name], 'function', `tickstream exports ${name}`);
  }
  const protocol = (await import('tickstream/protocol')) as { computeAcceptKey(key: string): string; FrameParser: unknown };
  assert.equal(protocol.computeAcceptKey('dGhlIHNhbXBsZSBub25jZQ=='), 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
  assert.equal(typeof protocol.FrameParser, 'function');
});
