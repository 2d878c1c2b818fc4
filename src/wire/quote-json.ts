import type { WireQuote } from './types.js';

/**
 * Hand-written JSON for a quote, the hot path of every push: field order follows docs/api.md, and
 * the output is exactly JSON.stringify's (non-finite numbers become null). The `"symbol":...` start
 * is passed in so a caller can build it once per symbol.
 */
export function quoteJsonPrefix(symbol: string): string {
  return `{"symbol":${JSON.stringify(symbol)},"last":`;
}

export function quoteToJson(q: WireQuote, prefix: string = quoteJsonPrefix(q.symbol)): string {
  return (
    prefix +
    num(q.last) +
    ',"bid":' + num(q.bid) +
    ',"ask":' + num(q.ask) +
    ',"open":' + num(q.open) +
    ',"high":' + num(q.high) +
    ',"low":' + num(q.low) +
    ',"prevClose":' + num(q.prevClose) +
    ',"change":' + num(q.change) +
    ',"changePct":' + num(q.changePct) +
    ',"volume":' + num(q.volume) +
    ',"ts":' + num(q.ts) +
    ',"seq":' + num(q.seq) +
    '}'
  );
}

/** `,"id":<id>` or nothing. */
export function idField(id: string | number | undefined): string {
  return id === undefined ? '' : ',"id":' + JSON.stringify(id);
}

/** JSON number text; non-finite values become null exactly as JSON.stringify does. */
function num(n: number): string {
  return Number.isFinite(n) ? '' + n : 'null';
}
