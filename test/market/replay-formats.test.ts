// What the replay feed reads: CSV (header row, columns by name) and NDJSON, told apart by extension or
// content; malformed rows skipped, counted and logged once; header errors; the shipped sample file.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile as execFileCb } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { FeedSpecError, ReplayFeed, createFeed, type FeedLogger } from '../../src/market/index.js';
import { RecordingSink } from './recording-sink.js';
import { repoRoot } from './repo-root.js';

const execFile = promisify(execFileCb);
let dir = '';

async function file(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

/** A FeedLogger that keeps what it was told. */
class CapturingLogger implements FeedLogger {
  readonly calls: { level: string; obj: object; msg: string | undefined }[] = [];
  info(obj: object, msg?: string): void {
    this.calls.push({ level: 'info', obj, msg });
  }
  warn(obj: object, msg?: string): void {
    this.calls.push({ level: 'warn', obj, msg });
  }
  error(obj: object, msg?: string): void {
    this.calls.push({ level: 'error', obj, msg });
  }
}

/** Replays a file at max speed to its end and returns every quote. */
async function playAll(feed: ReplayFeed): Promise<RecordingSink> {
  const sink = new RecordingSink();
  feed.start(sink);
  await sink.until((s) => s.statuses.some((st) => st.state === 'down'), 'the end of the replay', 10_000);
  return sink;
}

describe('replay formats', () => {
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tickstream-replay-formats-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('CSV: ts,symbol,last[,bid,ask,volume] with a header row, ts in ms or ISO 8601', async () => {
    const path = await file(
      'basic.csv',
      [
        'ts,symbol,last,bid,ask,volume',
        '1710509400000,AAPL,189.5,189.49,189.51,1000',
        '2024-03-15T13:30:00.250Z,MSFT,421.1,,,',
        '2024-03-15T13:30:00.500Z,AAPL,189.55,189.54,189.56,1200',
      ].join('\n') + '\n',
    );
    const feed = new ReplayFeed({ file: path, speed: 'max' });
    assert.equal(feed.format, 'csv');
    assert.equal(feed.skipped, 0);
    assert.deepEqual(feed.universe().map((s) => [s.symbol, s.name, s.prevClose]), [
      ['AAPL', 'Apple Inc.', 189.5],
      ['MSFT', 'Microsoft Corp.', 421.1],
    ]);
    const sink = await playAll(feed);
    assert.deepEqual(
      sink.received.map((q) => [q.symbol, q.seq, q.last, q.bid, q.ask, q.volume]),
      [
        ['AAPL', 1, 189.5, 189.49, 189.51, 1000],
        // Empty cells are absent values: no book, no volume (the normaliser derives them).
        ['MSFT', 1, 421.1, 421.1, 421.1, 0],
        ['AAPL', 2, 189.55, 189.54, 189.56, 1200],
      ],
    );
  });

  test('CSV: columns by name in any order, any case; quoted fields; other columns ignored and logged once', async () => {
    const path = await file(
      'columns.csv',
      '\uFEFFSymbol,Exchange,Volume,LAST,TS,prevclose\r\n' +
        '"AAPL","NASDAQ, Inc.",100,190,2024-03-15T13:30:00Z,188\r\n' +
        'AAPL,"say ""hi""",150,190.5,2024-03-15T13:30:01Z,\r\n',
    );
    const logger = new CapturingLogger();
    const feed = new ReplayFeed({ file: path, speed: 'max', logger });
    assert.equal(feed.skipped, 0);
    assert.deepEqual(feed.universe().map((s) => [s.symbol, s.prevClose]), [['AAPL', 188]]);
    assert.deepEqual(logger.calls.map((c) => c.msg), ['replay: columns.csv: ignoring the columns Exchange']);
    const sink = await playAll(feed);
    assert.deepEqual(sink.received.map((q) => [q.last, q.volume, q.change]), [
      [190, 100, 2],
      [190.5, 150, 2.5],
    ]);
  });

  test('the format: by extension (.csv, .ndjson, .jsonl), else by content, or as given', async () => {
    const csv = 'ts,symbol,last\n1,A,1\n';
    const json = '{"ts":1,"symbol":"A","last":1}\n';
    const cases: [string, string, 'csv' | 'ndjson'][] = [
      ['a.csv', csv, 'csv'],
      ['a.ndjson', json, 'ndjson'],
      ['a.jsonl', json, 'ndjson'],
      ['a.txt', csv, 'csv'],
      ['b.txt', '\n\n' + json, 'ndjson'],
      ['noext', json, 'ndjson'],
    ];
    for (const [name, text, format] of cases) assert.equal(new ReplayFeed({ file: await file(name, text) }).format, format, name);
    // The extension wins over the content: a .csv holding JSON lines has no header.
    const jsonCsv = await file('json.csv', json);
    assert.throws(() => new ReplayFeed({ file: jsonCsv }), /json\.csv:1: the first line is a JSON object, not a CSV header: name an NDJSON recording \.ndjson or \.jsonl$/);
    assert.equal(new ReplayFeed({ file: await file('c.dat', json), format: 'ndjson' }).format, 'ndjson');
  });

  test('CSV: malformed rows are counted, skipped and logged once with their line numbers, never fatal', async () => {
    const path = await file(
      'mixed.csv',
      [
        'ts,symbol,last,bid,ask,volume', // line 1
        '1000,AAPL,190,189.99,190.01,100', // 2 ok
        '1100,AAPL,-1,,,', // 3 bad price
        '1200,AAPL,190.1,189.99', // 4 too few fields
        'yesterday,AAPL,190.2,,,', // 5 bad ts
        '', // 6 blank: not a row
        '1300,MSFT,abc,,,', // 7 a price that is not a number
        '1400,AAPL,190.3,190.4,190.2,', // 8 crossed book
        '1500,"AAPL,190.4,,,', // 9 broken quote
        '1600,,190.5,,,', // 10 no symbol
        '1700,AAPL,190.6,,,200', // 11 ok
      ].join('\n') + '\n',
    );
    const logger = new CapturingLogger();
    const feed = new ReplayFeed({ file: path, speed: 'max', logger });
    assert.equal(feed.skipped, 7);
    assert.deepEqual(feed.skippedRows.map((r) => r.line), [3, 4, 5, 7, 8, 9, 10]);
    assert.match(feed.skippedRows[0]!.reason, /AAPL: "last" must be a positive price, got -1/);
    assert.match(feed.skippedRows[1]!.reason, /expected 6 fields \(as in the header\), got 4/);
    assert.match(feed.skippedRows[2]!.reason, /"ts" must be epoch milliseconds or an ISO-8601 date, got "yesterday"/);
    assert.match(feed.skippedRows[3]!.reason, /MSFT: "last" must be a positive price, got "abc"/);
    assert.match(feed.skippedRows[4]!.reason, /crossed book/);
    assert.match(feed.skippedRows[5]!.reason, /quoted field is not closed/);
    assert.match(feed.skippedRows[6]!.reason, /"symbol" must be a non-empty string/);
    // One warning for the whole file, naming the first line; the details in its fields.
    assert.equal(logger.calls.length, 1);
    const [warning] = logger.calls;
    assert.equal(warning!.level, 'warn');
    assert.equal(warning!.msg, 'replay: skipped 7 malformed rows of mixed.csv (the first at line 3: AAPL: "last" must be a positive price, got -1)');
    assert.deepEqual((warning!.obj as { skipped: number; replayed: number }).skipped, 7);
    assert.deepEqual((warning!.obj as { rows: { line: number }[] }).rows.map((r) => r.line), [3, 4, 5, 7, 8, 9, 10]);
    // The valid rows play, in order, with no gap in seq; the universe holds only symbols with a valid row.
    const sink = await playAll(feed);
    assert.deepEqual(sink.received.map((q) => [q.symbol, q.seq, q.last]), [
      ['AAPL', 1, 190],
      ['AAPL', 2, 190.6],
    ]);
    assert.deepEqual(feed.universe().map((s) => s.symbol), ['AAPL']);
    assert.equal(logger.calls.length, 1, 'nothing more is logged while replaying (or looping)');
  });

  test('many malformed rows: all counted, the first ten kept, still one warning', async () => {
    const lines = ['ts,symbol,last'];
    for (let k = 0; k < 25; k++) lines.push(`${k},A,not-a-price`);
    lines.push('100,A,1');
    const logger = new CapturingLogger();
    const feed = new ReplayFeed({ file: await file('many.csv', lines.join('\n')), logger });
    assert.equal(feed.skipped, 25);
    assert.deepEqual(feed.skippedRows.map((r) => r.line), [2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    assert.equal(logger.calls.length, 1);
    assert.match(logger.calls[0]!.msg!, /^replay: skipped 25 malformed rows of many\.csv \(the first at line 2: /);
  });

  test('a file with no valid row is a one-line error at startup', async () => {
    const bad = await file('allbad.csv', 'ts,symbol,last\n1,A,-1\n2,A,0\n');
    assert.throws(
      () => new ReplayFeed({ file: bad }),
      (error: Error) => error.message === `${bad}: no valid quotes, 2 malformed rows; the first: allbad.csv:2: A: "last" must be a positive price, got -1`,
    );
    // Through the registry, as `--feed replay:FILE` builds it: a FeedSpecError naming the spec, one line.
    await assert.rejects(createFeed('replay:allbad.csv', { cwd: dir }), (error: Error) => {
      assert.ok(error instanceof FeedSpecError);
      assert.match(error.message, /^replay:allbad\.csv: .*allbad\.csv: no valid quotes, 2 malformed rows; the first: allbad\.csv:2: /);
      assert.ok(!error.message.includes('\n'));
      return true;
    });
    const headerOnly = await file('header-only.csv', 'ts,symbol,last\n\n');
    assert.throws(() => new ReplayFeed({ file: headerOnly }), /header-only\.csv: no quotes in the file \(only a header row\)$/);
    const empty = await file('empty.csv', '');
    assert.throws(() => new ReplayFeed({ file: empty }), /empty\.csv: no quotes in the file$/);
  });

  test('CSV header errors are fatal, with the line and what is wrong', async () => {
    const cases: [string, string, RegExp][] = [
      ['noheader.csv', '1000,AAPL,190\n1001,AAPL,191\n', /noheader\.csv:1: no header row: the first line must name the columns, e.g. ts,symbol,last,bid,ask,volume$/],
      ['nosymbol.csv', 'ts,ticker,last\n1,A,1\n', /nosymbol\.csv:1: the header has no "symbol" column \(got "ts,ticker,last"; expected e\.g\. ts,symbol,last,bid,ask,volume\)$/],
      ['nots.csv', 'time,sym,last\n1,A,1\n', /nots\.csv:1: the header has no "ts" or "symbol" column/],
      ['noprice.csv', 'ts,symbol,volume\n1,A,1\n', /noprice\.csv:1: the header has no price column: "last" \(or "bid"\/"ask"\)/],
      ['twice.csv', 'ts,symbol,last,Last\n1,A,1,2\n', /twice\.csv:1: the header names the column "last" twice$/],
      ['unnamed.csv', 'ts,symbol,,last\n1,A,x,1\n', /unnamed\.csv:1: column 3 of the header has no name/],
      ['badquote.csv', '\n"ts,symbol,last\n1,A,1\n', /badquote\.csv:2: the header row is not valid CSV \(a quoted field is not closed\)$/],
    ];
    for (const [name, text, message] of cases) {
      const path = await file(name, text);
      assert.throws(() => new ReplayFeed({ file: path }), (error: Error) => message.test(error.message) && !error.message.includes('\n'), name);
    }
    // A header with only bid/ask (quotes without trades) is fine: last is the mid.
    const book = new ReplayFeed({ file: await file('book.csv', 'ts,symbol,bid,ask\n1,A,1.00,1.02\n'), speed: 'max' });
    assert.deepEqual((await playAll(book)).received.map((q) => [q.bid, q.last, q.ask]), [[1, 1.01, 1.02]]);
  });

  test('NDJSON: malformed lines are skipped and logged once too', async () => {
    const logger = new CapturingLogger();
    const path = await file('mixed.ndjson', '{"ts":1,"symbol":"A","last":1}\nnot json\n[1]\n{"ts":2,"symbol":"A","last":"x"}\n{"ts":3,"symbol":"A","last":2}\n');
    const feed = new ReplayFeed({ file: path, speed: 'max', logger });
    assert.equal(feed.skipped, 3);
    assert.deepEqual(feed.skippedRows.map((r) => r.line), [2, 3, 4]);
    assert.equal(logger.calls.length, 1);
    assert.match(logger.calls[0]!.msg!, /^replay: skipped 3 malformed rows of mixed\.ndjson \(the first at line 2: not valid JSON/);
    assert.deepEqual((await playAll(feed)).received.map((q) => q.last), [1, 2]);
  });

  test('the shipped sample, samples/replay/us-open.csv: five US symbols over five minutes, clean, small', async () => {
    const sample = join(repoRoot(), 'samples', 'replay', 'us-open.csv');
    assert.ok((await stat(sample)).size < 200 * 1024, 'under 200 KB');
    const header = (await readFile(sample, 'utf8')).split('\n', 1)[0];
    assert.equal(header, 'ts,symbol,last,bid,ask,volume,prevClose');
    const logger = new CapturingLogger();
    // As the README runs it: `--feed replay:samples/replay/us-open.csv` from the package directory.
    const feed = await createFeed('replay:samples/replay/us-open.csv', { cwd: repoRoot(), settings: { replaySpeed: 'max', replayLoop: false }, logger });
    assert.ok(feed instanceof ReplayFeed);
    assert.equal(feed.skipped, 0);
    assert.deepEqual(logger.calls, []);
    assert.deepEqual(feed.universe().map((s) => s.symbol), ['AAPL', 'MSFT', 'NVDA', 'AMZN', 'TSLA']);
    const sink = await playAll(feed);
    assert.ok(sink.received.length > 1000, `${sink.received.length} quotes`);
    for (const q of sink.received) assert.ok(q.bid <= q.last && q.last <= q.ask, `${q.symbol} ${q.bid}/${q.last}/${q.ask}`);
    // The opening quotes carry the previous close: change is not zero at the open.
    assert.ok(feed.universe().every((s) => s.prevClose > 0));
    assert.ok(sink.received.slice(0, 5).some((q) => q.change !== 0));
  });

  test('scripts/make-sample-replay.mjs makes such a file from the simulator', { timeout: 60_000 }, async () => {
    const out = join(dir, 'regenerated.csv');
    const { stdout } = await execFile(process.execPath, [join(repoRoot(), 'scripts', 'make-sample-replay.mjs'), out], { cwd: repoRoot() });
    assert.match(stdout, /quotes of 5 symbols over 5 minutes/);
    const feed = new ReplayFeed({ file: out });
    assert.equal(feed.skipped, 0);
    assert.deepEqual(feed.universe().map((s) => s.symbol), ['AAPL', 'MSFT', 'NVDA', 'AMZN', 'TSLA']);
    // A fixed seed: the same file on every run.
    const again = join(dir, 'again.csv');
    await execFile(process.execPath, [join(repoRoot(), 'scripts', 'make-sample-replay.mjs'), again], { cwd: repoRoot() });
    assert.equal(await readFile(again, 'utf8'), await readFile(out, 'utf8'));
  });
});
