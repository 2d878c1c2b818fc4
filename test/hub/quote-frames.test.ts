import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { QuoteEncoder } from '../../src/hub/index.js';
import { HUB_FRAMES } from '../../src/app/hub-frames.js';
import { PreparedMessage } from '../../src/transport/index.js';
import { encodeTextFrame, writeServerFrameHeader } from '../../src/protocol/frame-encoder.js';
import { Opcode } from '../../src/protocol/constants.js';
import type { Quote } from '../../src/market/index.js';
import { FakeConnection, FakeFeed, hubOver, makeQuote } from './fakes.js';

/** The whole frame the byte path builds for these quotes. */
function bytesFrame(encoder: QuoteEncoder, quotes: readonly Quote[]): Buffer {
  return (HUB_FRAMES.quotes(quotes.map((q) => encoder.quoteBytes(q)), false, 77) as PreparedMessage).frame;
}

/** The reference: JSON.stringify of the wire message, framed as text. */
function jsonFrame(quotes: readonly Quote[], offset = 77): Buffer {
  return encodeTextFrame(JSON.stringify({ type: 'quotes', quotes, offset }));
}

describe('quote frames assembled from encoded bytes', { timeout: 5_000 }, () => {
  test('byte-exact with JSON.stringify of the same message, header included', () => {
    const encoder = new QuoteEncoder();
    const one = [makeQuote('AAPL', 189.23, 42, 1732400000123)];
    const several = [makeQuote('AAPL', 189.23, 42, 1), makeQuote('600519.SH', 1688.88, 1, 2), makeQuote('AAPL', 189.3, 43, 3)];
    for (const quotes of [one, several]) {
      assert.deepEqual(bytesFrame(encoder, quotes), jsonFrame(quotes));
      // Also identical to the string path the hub uses for injected frame factories.
      assert.deepEqual(bytesFrame(encoder, quotes), (HUB_FRAMES.text(encoder.quotesMessage(quotes, 77), false) as PreparedMessage).frame);
    }
  });

  test('non-ASCII symbols are copied as UTF-8, and the frame length counts bytes', () => {
    const encoder = new QuoteEncoder();
    const quotes = [makeQuote('贵州茅台', 1688.88, 1, 1), makeQuote('Ünïcødé-€', 1, 2, 2), makeQuote('A"B\\C', 0.01, 3, 3)];
    const frame = bytesFrame(encoder, quotes);
    assert.deepEqual(frame, jsonFrame(quotes));
    assert.deepEqual(JSON.parse(frame.subarray(4).toString('utf8')), { type: 'quotes', quotes, offset: 77 });
  });

  test('an empty batch is a valid empty quotes message', () => {
    const frame = bytesFrame(new QuoteEncoder(), []);
    assert.deepEqual(frame, jsonFrame([]));
    assert.equal(frame.subarray(2).toString(), '{"type":"quotes","quotes":[],"offset":77}');
  });

  test('extended lengths: 16-bit and 64-bit headers match encodeTextFrame', () => {
    const encoder = new QuoteEncoder();
    for (const count of [1, 2, 400, 2000]) {
      // Each tick is its own object: repeats of one symbol must not be served from a stale cache entry.
      const quotes = Array.from({ length: count }, (_, i) => makeQuote('SYM' + (i % 7), 100 + i / 100, i + 1, i));
      const frame = bytesFrame(encoder, quotes);
      assert.deepEqual(frame, jsonFrame(quotes), `${count} quotes`);
    }
  });

  test('textJoined handles zero parts, one part and a custom separator', () => {
    const head = Buffer.from('<');
    const tail = Buffer.from('>');
    assert.deepEqual(PreparedMessage.textJoined(head, [], 0x7c, tail).frame, encodeTextFrame('<>'));
    assert.deepEqual(PreparedMessage.textJoined(head, [Buffer.from('a')], 0x7c, tail).frame, encodeTextFrame('<a>'));
    const parts = [Buffer.from('a'), Buffer.from(''), Buffer.from('ü')];
    const message = PreparedMessage.textJoined(head, parts, 0x7c, tail);
    assert.deepEqual(message.frame, encodeTextFrame('<a||ü>'));
    assert.equal(message.payload.toString('utf8'), '<a||ü>');
    assert.equal(message.isText, true);
  });

  test('writeServerFrameHeader refuses control and reserved opcodes', () => {
    const target = Buffer.alloc(16);
    assert.throws(() => writeServerFrameHeader(target, Opcode.Ping, 0), RangeError);
    assert.throws(() => writeServerFrameHeader(target, 3, 0), RangeError);
    assert.throws(() => writeServerFrameHeader(target, Opcode.Text, -1), RangeError);
    assert.equal(writeServerFrameHeader(target, Opcode.Binary, 70_000), 10);
  });

  test('the hub sends every tick of a batch, repeats of one symbol included, byte-exact', async () => {
    const feed = new FakeFeed(['AAPL', 'MSFT', 'TSLA']);
    const hub = hubOver(feed, { appHeartbeatMs: 0 });
    hub.start();
    const a = new FakeConnection('/');
    const b = new FakeConnection('/');
    hub.attach(a, { symbols: ['AAPL', 'MSFT'], intervalMs: 0 });
    hub.attach(b, { symbols: ['AAPL', 'TSLA'], intervalMs: 0 });
    const pushed = feed.push(['AAPL', 101], ['MSFT', 50], ['AAPL', 102], ['TSLA', 7], ['AAPL', 103]);
    const lastFrame = (conn: FakeConnection): Buffer => {
      const sent = conn.sent.at(-1);
      assert.equal(sent?.kind, 'prepared');
      return (sent.frame as PreparedMessage).frame;
    };
    const wanted = (symbols: string[]) => pushed.filter((q) => symbols.includes(q.symbol));
    const offset = hub.cache.offset;
    assert.deepEqual(lastFrame(a), jsonFrame(wanted(['AAPL', 'MSFT']), offset));
    assert.deepEqual(lastFrame(b), jsonFrame(wanted(['AAPL', 'TSLA']), offset));
    await hub.stop();
  });
});
