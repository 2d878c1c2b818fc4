import { readFileSync, statSync } from 'node:fs';
import type { QuoteFeed } from './feed.js';
import type { Quote, SymbolInfo } from './quote.js';
import { parseRecording, type ParsedRecording } from './replay-records.js';

/**
 * Replays a recorded NDJSON quote stream with its original spacing divided by `speed`.
 * It proves feeds are plugins: the hub cannot tell it from the simulator.
 *
 * - Emitted quotes get a fresh per-symbol seq (1, 2, 3 ... across loops) and a ts on the wall
 *   clock: the replay start time plus the record's scaled offset, so spacing is preserved exactly.
 * - With `loop`, the file starts over one mean record spacing after its last record; cumulative
 *   volumes continue from the end of the previous pass so volume never decreases.
 * - snapshot() returns each symbol's latest emitted quote; before a symbol's first record has been
 *   replayed it previews that record with seq 0 (not a tick yet, so the real first tick, seq 1,
 *   still counts as newer for a consumer that drops non-increasing seqs) and the recorded ts.
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
  /** Called once when a non-looping replay has delivered its last record. */
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
  private readonly latest: Quote[];

  /** Position of the next record: pass number and index within the file. */
  private pass = 0;
  private cursor = 0;
  private timer: NodeJS.Timeout | undefined;
  /** Set by stop(); checked after onBatch, which may itself call stop(). */
  private stopped = true;
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
    this.latest = new Array<Quote>(this.recording.universe.length);
    for (let k = records.length - 1; k >= 0; k--) {
      const record = records[k]!;
      this.latest[record.symbolIndex] = { ...record.quote, seq: 0 };
    }
  }

  universe(): readonly SymbolInfo[] {
    return this.recording.universe;
  }

  snapshot(): Quote[] {
    return this.latest.map((quote) => ({ ...quote }));
  }

  start(onBatch: (quotes: readonly Quote[]) => void): void {
    if (this.timer !== undefined) throw new Error('replay already started');
    if (this.ended) return;
    const records = this.recording.records;
    // Anchor: the next record is due now; later ones follow at their recorded offsets / speed.
    const baseMs = this.absoluteOffset(this.pass, this.cursor);
    const startedMono = performance.now();
    const startedWall = Date.now();

    const fire = (): void => {
      this.timer = undefined;
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
      if (batch.length > 0) onBatch(batch);
      if (this.ended) {
        this.onEnd?.();
        return;
      }
      if (this.stopped) return;
      const nextDue = (this.absoluteOffset(this.pass, this.cursor) - baseMs) / this.speed;
      this.timer = setTimeout(fire, Math.max(0, nextDue - (performance.now() - startedMono)));
    };
    this.stopped = false;
    this.timer = setTimeout(fire, 0);
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
