import type { FeedLogger } from '../../../src/market/index.js';
import type { UpstreamFeed } from '../../../src/market/upstream/index.js';
import { RecordingSink } from '../recording-sink.js';

/** A FeedLogger that keeps every line, to check what was logged (and that no secret was). */
export class CaptureLogger implements FeedLogger {
  readonly lines: { level: 'info' | 'warn' | 'error'; obj: object; msg: string }[] = [];
  info(obj: object, msg = ''): void {
    this.lines.push({ level: 'info', obj, msg });
  }
  warn(obj: object, msg = ''): void {
    this.lines.push({ level: 'warn', obj, msg });
  }
  error(obj: object, msg = ''): void {
    this.lines.push({ level: 'error', obj, msg });
  }
  /** Every line as text (message and fields), for "never logged" checks. */
  get text(): string {
    return this.lines.map((l) => `${l.level} ${l.msg} ${JSON.stringify(l.obj)}`).join('\n');
  }
  errors(): string[] {
    return this.lines.filter((l) => l.level === 'error').map((l) => l.msg);
  }
}

/** Quick retries, so reconnection tests take milliseconds. */
export const FAST_BACKOFF = { initialDelayMs: 20, maxDelayMs: 100 };

/** The statuses a sink saw, as 'state' or 'state: reason'. */
export function statusTrail(sink: RecordingSink): string[] {
  return sink.statuses.map((s) => (s.reason === undefined ? s.state : `${s.state}: ${s.reason}`));
}

export function lastStatus(sink: RecordingSink): string {
  return statusTrail(sink).at(-1) ?? '';
}

/** Starts a feed into a fresh RecordingSink. */
export function startFeed(feed: UpstreamFeed): RecordingSink {
  const sink = new RecordingSink();
  feed.start(sink);
  return sink;
}
