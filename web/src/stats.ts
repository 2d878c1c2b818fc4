// Live readout of messages per second and feed-to-screen latency (now − quote.ts), computed over
// one-second windows. Samples go into a preallocated typed array so counting allocates nothing.

const MAX_SAMPLES = 4096; // enough for a median; beyond this the window keeps its first samples

export interface WindowStats {
  messagesPerSecond: number;
  quotesPerSecond: number;
  /** Median latency in ms over the window, or null when no quote arrived. */
  medianLatencyMs: number | null;
}

export class LiveStats {
  private messages = 0;
  private quotes = 0;
  private samples = new Float64Array(MAX_SAMPLES);
  private sampleCount = 0;
  private windowStart = performance.now();

  countMessage(): void {
    this.messages++;
  }

  countQuote(latencyMs: number): void {
    this.quotes++;
    if (this.sampleCount < MAX_SAMPLES) this.samples[this.sampleCount++] = latencyMs;
  }

  /** Closes the current window and returns its figures. Call about once a second. */
  roll(): WindowStats {
    const now = performance.now();
    const seconds = Math.max((now - this.windowStart) / 1000, 0.001);
    const result: WindowStats = {
      messagesPerSecond: this.messages / seconds,
      quotesPerSecond: this.quotes / seconds,
      medianLatencyMs: this.sampleCount === 0 ? null : median(this.samples.subarray(0, this.sampleCount)),
    };
    this.messages = 0;
    this.quotes = 0;
    this.sampleCount = 0;
    this.windowStart = now;
    return result;
  }
}

function median(values: Float64Array): number {
  values.sort(); // typed-array sort is numeric and in place
  const mid = values.length >> 1;
  return values.length % 2 === 1 ? values[mid]! : (values[mid - 1]! + values[mid]!) / 2;
}
