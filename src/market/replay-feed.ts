import { readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import type { FeedLogger, FeedSink, QuoteFeed } from './feed.js';
import type { Quote, SymbolInfo } from './quote.js';
import { parseRecording, detectFormat, type ParsedRecording, type RecordingFormat, type ReplayRecord, type SkippedRow } from './replay-records.js';

/**
 * Replays a recorded quote stream (CSV or NDJSON, see replay-records.ts) as a live market: the
 * recording is re-based to now, its spacing divided by `speed`. It proves feeds are plugins: the hub
 * cannot tell it from the simulator.
 *
 * - start(sink) reports the universe (the file's symbols), then the records due at once, then `up`,
 *   synchronously; later records follow at their time. A symbol's first replayed quote (seq 1) is
 *   its opening value; a symbol whose first record comes later has no quote until then.
 * - Re-basing: the first record plays at start time, stamped with the wall clock then; every other
 *   record at its recorded offset from the first, divided by `speed`, stamped accordingly (the
 *   recorded dates are not kept: a recorded day plays as today's market). Emitted quotes get a fresh
 *   per-symbol seq (1, 2, 3 ... across loops).
 * - `speed: 'max'` (or Infinity) ignores the recorded spacing: records go out as fast as the sink
 *   takes them, in batches of at most `maxBatch`, each batch in its own event-loop turn (I/O and
 *   timers run in between), stamped with the wall clock of their batch.
 * - With `loop`, the file starts over one mean record spacing (÷ speed) after its last record, and
 *   each pass is re-based again on the clock of its first record; cumulative volumes continue from
 *   the end of the previous pass so volume never decreases.
 * - Without it, the end of the file reports `down` ('replay finished') and then calls onEnd.
 * - Malformed rows were skipped when the file was read: counted in `skipped`, logged once (one
 *   warning naming the first lines); a file with no valid row is refused by the constructor.
 */

export interface ReplayOptions {
  /** Path of the recording. Read synchronously by the constructor (startup-time work). */
  file: string;
  /** Default: by extension (.csv; .ndjson, .jsonl, .json), else by content. */
  format?: RecordingFormat;
  /** Playback speed: a number > 0 (10 = ten times as fast as recorded), or 'max' (also Infinity). Default 1. */
  speed?: number | 'max';
  /** Start over at the end of the file. Default false. */
  loop?: boolean;
  /** Refuse files larger than this. Default 256 MiB. */
  maxFileBytes?: number;
  /**
   * Most records delivered in one batch; a longer backlog is split across event-loop turns.
   * Default 10,000 (1,000 at speed 'max').
   */
  maxBatch?: number;
  /** Where the skipped rows are reported (one warning). Default: nowhere. */
  logger?: FeedLogger;
  /** Called once when a non-looping replay has delivered its last record (after status `down`). */
  onEnd?: () => void;
}

const DEFAULT_MAX_FILE_BYTES = 256 * 1024 * 1024;
const DEFAULT_MAX_BATCH = 10_000;
/** At max speed every record is due at once: smaller batches keep each event-loop turn short. */
const DEFAULT_MAX_SPEED_BATCH = 1_000;
/** Loop spacing for recordings whose records all share one timestamp (avoids a zero-length loop). */
const FALLBACK_LOOP_GAP_MS = 1000;

export class ReplayFeed implements QuoteFeed {
  readonly name = 'replay';
  /** Playback speed; Infinity for 'max'. */
  readonly speed: number;
  readonly loop: boolean;
  readonly format: RecordingFormat;
  /** Malformed rows skipped when the file was read. */
  readonly skipped: number;
  /** The first skipped rows with their line numbers and reasons. */
  readonly skippedRows: readonly SkippedRow[];

  private readonly recording: ParsedRecording;
  private readonly loopPeriodMs: number;
  private readonly maxBatch: number;
  private readonly onEnd: (() => void) | undefined;
  private readonly seqs: number[];
  /** The latest emitted quote of each symbol (undefined before its first record is replayed). */
  private readonly latest: (Quote | undefined)[];

  /** Position of the next record: pass number and index within the file. */
  private pass = 0;
  private cursor = 0;
  /** The clocks (monotonic and wall) the current pass is re-based on: when its first record played. */
  private anchorMono = 0;
  private anchorWall = 0;
  /** False between the end of a pass and the first record of the next (which re-bases). */
  private anchored = true;
  /** The latest ts emitted: a wall clock stepping back never makes ts go back. */
  private lastTs = 0;
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  /** Set by stop(); checked after sink.quotes(), which may itself call stop(). */
  private stopped = false;
  private started = false;
  private ended = false;

  constructor(options: ReplayOptions) {
    this.speed = options.speed === 'max' ? Infinity : (options.speed ?? 1);
    if (typeof this.speed !== 'number' || !(this.speed > 0)) {
      throw new RangeError(`speed must be a number > 0 or "max", got ${String(options.speed)}`);
    }
    this.loop = options.loop ?? false;
    this.maxBatch = options.maxBatch ?? (this.speed === Infinity ? DEFAULT_MAX_SPEED_BATCH : DEFAULT_MAX_BATCH);
    if (!Number.isInteger(this.maxBatch) || this.maxBatch < 1) throw new RangeError('maxBatch must be a positive integer');
    this.onEnd = options.onEnd;

    const maxBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
    const size = statSync(options.file).size;
    if (size > maxBytes) throw new RangeError(`${options.file}: ${size} bytes exceeds the ${maxBytes}-byte limit`);
    const text = readFileSync(options.file, 'utf8');
    this.recording = parseRecording(text, options.file, options.format ?? detectFormat(options.file, text));
    this.format = this.recording.format;
    this.skipped = this.recording.skipped;
    this.skippedRows = this.recording.skippedRows;
    reportProblems(options.file, this.recording, options.logger);

    const records = this.recording.records;
    const span = records[records.length - 1]!.offsetMs;
    this.loopPeriodMs = span > 0 ? span + span / (records.length - 1) : FALLBACK_LOOP_GAP_MS;
    this.seqs = new Array<number>(this.recording.universe.length).fill(0);
    this.latest = new Array<Quote | undefined>(this.recording.universe.length);
  }

  /** The recording's symbols in order of first appearance; prevClose from the file. */
  universe(): readonly SymbolInfo[] {
    return this.recording.universe;
  }

  /** The latest replayed quote of every symbol that has had one. */
  snapshot(): Quote[] {
    return this.latest.filter((quote): quote is Quote => quote !== undefined);
  }

  /** Completed passes over the file (0 during the first). */
  get passes(): number {
    return this.pass;
  }

  start(sink: FeedSink): void {
    if (this.started) throw new Error('replay already started');
    this.started = true;
    if (this.stopped) return; // stopped before it started: nothing to report
    // Re-base: the first record is due now, stamped with the wall clock now.
    this.anchorMono = performance.now();
    this.anchorWall = Date.now();

    const finish = (): void => {
      if (!this.ended || this.stopped) return;
      this.stopped = true;
      sink.status({ state: 'down', reason: 'replay finished' });
      this.onEnd?.();
    };
    const fire = (): void => {
      this.timer = undefined;
      this.immediate = undefined;
      const full = this.deliver(sink);
      if (this.stopped) return;
      if (this.ended) finish();
      else this.schedule(full, fire);
    };

    sink.universe(this.recording.universe);
    const full = this.deliver(sink);
    if (this.stopped) return;
    sink.status({ state: 'up' });
    if (this.ended) finish();
    else this.schedule(full, fire);
  }

  stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (this.immediate !== undefined) clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
    return Promise.resolve();
  }

  /**
   * Delivers the records due now (every record at max speed), at most maxBatch, as one batch.
   * Returns true when the batch was full (more may be due at once).
   */
  private deliver(sink: FeedSink): boolean {
    const records = this.recording.records;
    const nowMono = performance.now();
    const nowWall = Date.now();
    const max = this.speed === Infinity;
    const batch: Quote[] = [];
    while (batch.length < this.maxBatch) {
      if (!max && this.dueMono() > nowMono) break;
      if (!this.anchored) {
        // A new pass: re-based on the clock now, like the first.
        this.anchorMono = nowMono;
        this.anchorWall = nowWall;
        this.anchored = true;
      }
      const record = records[this.cursor]!;
      const ts = max ? nowWall : Math.round(this.anchorWall + record.offsetMs / this.speed);
      batch.push(this.emit(record, ts));
      if (++this.cursor === records.length) {
        if (!this.loop) {
          this.ended = true;
          break;
        }
        this.cursor = 0;
        this.pass++;
        this.anchored = false;
      }
    }
    if (batch.length > 0) sink.quotes(batch);
    return batch.length === this.maxBatch;
  }

  /** When the next record is due on the monotonic clock. */
  private dueMono(): number {
    if (!this.anchored) return this.anchorMono + this.loopPeriodMs / this.speed;
    return this.anchorMono + this.recording.records[this.cursor]!.offsetMs / this.speed;
  }

  /** The next delivery: at once (in the next turn) after a full batch or at max speed, else when due. */
  private schedule(full: boolean, fire: () => void): void {
    if (full || this.speed === Infinity) {
      this.immediate = setImmediate(fire);
      return;
    }
    // Timers count whole milliseconds: round up, so the timer does not wake just before the record is due.
    this.timer = setTimeout(fire, Math.max(0, Math.ceil(this.dueMono() - performance.now())));
  }

  private emit(record: ReplayRecord, stamp: number): Quote {
    const seq = ++this.seqs[record.symbolIndex]!;
    const ts = Math.max(stamp, this.lastTs);
    this.lastTs = ts;
    // The record is a full quote from the normaliser; only seq, ts and the loop's volume change.
    const quote: Quote = {
      ...record.quote,
      volume: record.quote.volume + this.pass * this.recording.finalVolume[record.symbolIndex]!,
      ts,
      seq,
    };
    this.latest[record.symbolIndex] = quote;
    return quote;
  }
}

/** One warning per file for its skipped rows (and one for ignored CSV columns). */
function reportProblems(file: string, recording: ParsedRecording, logger: FeedLogger | undefined): void {
  if (logger === undefined) return;
  const name = basename(file);
  if (recording.skipped > 0) {
    const first = recording.skippedRows[0]!;
    logger.warn(
      { file, skipped: recording.skipped, rows: recording.skippedRows, replayed: recording.records.length },
      `replay: skipped ${recording.skipped} malformed row${recording.skipped === 1 ? '' : 's'} of ${name} (the first at line ${first.line}: ${first.reason})`,
    );
  }
  if (recording.ignoredColumns.length > 0) {
    logger.warn({ file, columns: recording.ignoredColumns }, `replay: ${name}: ignoring the columns ${recording.ignoredColumns.join(', ')}`);
  }
}
