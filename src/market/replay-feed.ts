import { readFileSync, statSync } from 'node:fs';
import type { FeedSink, QuoteFeed } from './feed.js';
import type { Quote, SymbolInfo } from './quote.js';
import { parseRecording, type ParsedRecording } from './replay-records.js';

/**
 * Replays a recorded NDJSON quote stream with its original spacing divided by `speed`.
 * It proves feeds are plugins: the hub cannot tell it from the simulator.
 *
 * - start(sink) reports the universe (the file's symbols), then the records due at once, then
 *   `up`, synchronously; later records follow at their time. A symbol's first replayed quote (seq 1)
 *   is its opening value; a symbol whose first record comes later has no quote until then.
 * - Emitted quotes get a fresh per-symbol seq (1, 2, 3 ... across loops) and a ts on the wall
 *   clock: the replay start time plus the record's scaled offset, so spacing is preserved exactly.
 * - With `loop`, the file starts over one mean record spacing after its last record; cumulative
 *   volumes continue from the end of the previous pass so volume never decreases.
 * - Without it, the end of the file reports `down` ('replay finished') and then calls onEnd.
 */

export interface ReplayOptions {
  /** Path of the NDJSON recording. Read synchronously by the constructor (startup-time work). */
  file: string;
  /** Playback speed, > 0. Default 1. */
  speed?: number;
  /** Start over at the end of the file. Default false. */
  loop?: boolean;
  /** Refuse files larger than this. Default 256 MiB. */
  maxFileBytes?: number;
  /** Most records delivered in one batch; a longer backlog is split across event-loop turns. Default 10,000. */
  maxBatch?: number;
  /** Called once when a non-looping replay has delivered its last record (after status `down`). */
  onEnd?: () => void;
}

const DEFAULT_MAX_FILE_BYTES = 256 * 1024 * 1024;
/** Loop spacing for recordings whose records all share one timestamp (avoids a zero-length loop). */
const FALLBACK_LOOP_GAP_MS = 1000;

export class ReplayFeed implements QuoteFeed {
  readonly name = 'replay';
  readonly speed: number;
  readonly loop: boolean;

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
  private timer: NodeJS.Timeout | undefined;
  /** Set by stop(); checked after sink.quotes(), which may itself call stop(). */
  private stopped = false;
  private started = false;
  private ended = false;

  constructor(options: ReplayOptions) {
    this.speed = options.speed ?? 1;
    if (!(this.speed > 0) || !Number.isFinite(this.speed)) throw new RangeError(`speed must be > 0, got ${options.speed}`);
    this.loop = options.loop ?? false;
    this.maxBatch = options.maxBatch ?? 10_000;
    if (!Number.isInteger(this.maxBatch) || this.maxBatch < 1) throw new RangeError('maxBatch must be a positive integer');
    this.onEnd = options.onEnd;

    const maxBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
    const size = statSync(options.file).size;
    if (size > maxBytes) throw new RangeError(`${options.file}: ${size} bytes exceeds the ${maxBytes}-byte limit`);
    this.recording = parseRecording(readFileSync(options.file, 'utf8'), options.file);

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

  start(sink: FeedSink): void {
    if (this.started) throw new Error('replay already started');
    this.started = true;
    if (this.stopped) return; // stopped before it started: nothing to report
    const records = this.recording.records;
    // Anchor: the first record is due now; later ones follow at their recorded offsets / speed.
    const baseMs = this.absoluteOffset(this.pass, this.cursor);
    const startedMono = performance.now();
    const startedWall = Date.now();

    /** Delivers every record due by now (at most maxBatch); false once the sink must hear no more. */
    const deliverDue = (): boolean => {
      const elapsed = performance.now() - startedMono;
      const batch: Quote[] = [];
      while (batch.length < this.maxBatch) {
        const dueMs = (this.absoluteOffset(this.pass, this.cursor) - baseMs) / this.speed;
        if (dueMs > elapsed) break;
        batch.push(this.emit(records[this.cursor]!, Math.round(startedWall + dueMs)));
        if (++this.cursor === records.length) {
          if (!this.loop) {
            this.ended = true;
            break;
          }
          this.cursor = 0;
          this.pass++;
        }
      }
      if (batch.length > 0) sink.quotes(batch);
      return !this.ended && !this.stopped;
    };
    const finish = (): void => {
      if (!this.ended || this.stopped) return;
      this.stopped = true;
      sink.status({ state: 'down', reason: 'replay finished' });
      this.onEnd?.();
    };
    const schedule = (): void => {
      const nextDue = (this.absoluteOffset(this.pass, this.cursor) - baseMs) / this.speed;
      this.timer = setTimeout(fire, Math.max(0, nextDue - (performance.now() - startedMono)));
    };
    const fire = (): void => {
      this.timer = undefined;
      if (deliverDue()) schedule();
      else finish();
    };

    sink.universe(this.recording.universe);
    const more = deliverDue();
    if (this.stopped) return;
    sink.status({ state: 'up' });
    if (more) schedule();
    else finish();
  }

  stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    return Promise.resolve();
  }

  private absoluteOffset(pass: number, index: number): number {
    return pass * this.loopPeriodMs + this.recording.records[index]!.offsetMs;
  }

  private emit(record: ParsedRecording['records'][number], ts: number): Quote {
    const seq = ++this.seqs[record.symbolIndex]!;
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
