import type { Quote } from '../market/index.js';
import { idField, quoteJsonPrefix, quoteToJson, type CommandId } from '../wire/index.js';

export type { CommandId };

/** The most recently encoded quote of one symbol, reused while the feed has not replaced it. */
interface EncodedQuote {
  quote: Quote;
  json: string;
  /** `json` as UTF-8, made on first request (only frames built from bytes need it). */
  bytes: Buffer | null;
}

/** Fixed bytes before the quotes of an update batch: `{"type":"quotes","quotes":[`. */
export const QUOTES_MESSAGE_HEAD: Buffer = Buffer.from('{"type":"quotes","quotes":[');

/** The bytes after the quotes: `],"offset":N}` (the stream offset the message brings the client to). */
export function quotesMessageTail(offset: number): Buffer {
  return Buffer.from('],"offset":' + offset + '}');
}
/** Separator between array elements: `,`. */
export const JSON_COMMA = 0x2c;

/**
 * Hand-written JSON for the hot path. A quote object is encoded once however many frames carry it:
 * in one feed batch several subscription groups usually include the same symbol, and timed groups
 * flush the same latest quote. Field order follows the wire protocol example.
 */
export class QuoteEncoder {
  /** Per symbol: the quoted symbol and the start of the object, built once. */
  private readonly prefixes = new Map<string, string>();
  private readonly lastEncoded = new Map<string, EncodedQuote>();

  quote(q: Quote): string {
    const cached = this.lastEncoded.get(q.symbol);
    if (cached !== undefined && cached.quote === q) return cached.json;
    let prefix = this.prefixes.get(q.symbol);
    if (prefix === undefined) {
      prefix = quoteJsonPrefix(q.symbol);
      this.prefixes.set(q.symbol, prefix);
    }
    const json = quoteToJson(q, prefix);
    if (cached !== undefined) {
      cached.quote = q;
      cached.json = json;
      cached.bytes = null;
    } else {
      this.lastEncoded.set(q.symbol, { quote: q, json, bytes: null });
    }
    return json;
  }

  /**
   * The same JSON as UTF-8 bytes, encoded once per quote object: every frame that carries the quote
   * copies these bytes instead of concatenating and re-encoding strings per frame. The caller must
   * not modify the returned Buffer (it is shared).
   */
  quoteBytes(q: Quote): Buffer {
    let cached = this.lastEncoded.get(q.symbol);
    if (cached === undefined || cached.quote !== q) {
      this.quote(q);
      cached = this.lastEncoded.get(q.symbol)!;
    }
    return cached.bytes ?? (cached.bytes = Buffer.from(cached.json, 'utf8'));
  }

  /** `[q1,q2,...]` */
  list(quotes: Iterable<Quote>): string {
    let out = '[';
    let first = true;
    for (const q of quotes) {
      if (first) first = false;
      else out += ',';
      out += this.quote(q);
    }
    return out + ']';
  }

  /** `{"type":"quotes","quotes":[...],"offset":N}` — an update batch. */
  quotesMessage(quotes: Iterable<Quote>, offset: number): string {
    return '{"type":"quotes","quotes":' + this.list(quotes) + ',"offset":' + offset + '}';
  }

  /** `{"type":"snapshot","id":?,"quotes":[...],"offset":N,"recovered":?}` */
  snapshotMessage(id: CommandId | undefined, quotes: Iterable<Quote>, offset: number, recovered?: boolean): string {
    const recoveredField = recovered === undefined ? '' : ',"recovered":' + recovered;
    return '{"type":"snapshot"' + idField(id) + ',"quotes":' + this.list(quotes) + ',"offset":' + offset + recoveredField + '}';
  }

  /** Forget a symbol's cached encoding (not needed for correctness; bounds memory if symbols churn). */
  forget(symbol: string): void {
    this.lastEncoded.delete(symbol);
    this.prefixes.delete(symbol);
  }
}
