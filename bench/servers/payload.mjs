// Broadcast payloads shared by every benchmark server, so all of them pay the same
// cost to build a message. Each payload starts with {"t":<CLOCK_MONOTONIC ns>, which
// the C load generator turns into a send-to-receive latency (process.hrtime.bigint()
// reads CLOCK_MONOTONIC on Linux, the clock the generator reads too).

const SYMBOLS = ['AAPL', 'MSFT', 'GOOG', 'AMZN', 'NVDA', 'META', 'TSLA', 'ORCL', 'INTC', 'AMD', 'IBM', 'CSCO'];
const POOL_SIZE = 64;

/** Quote-shaped JSON fragments (realistic, so permessage-deflate has real work to do). */
function quoteFragment(i) {
  const sym = SYMBOLS[i % SYMBOLS.length];
  const last = 100 + ((i * 7919) % 9000) / 100;
  return `{"sym":"${sym}","last":${last.toFixed(2)},"bid":${(last - 0.01).toFixed(2)},` +
    `"ask":${(last + 0.01).toFixed(2)},"vol":${(i * 104729) % 1000000}}`;
}

/**
 * Returns make(seq) -> string of exactly `size` bytes (ASCII) once size leaves room
 * for the timestamp header: {"t":…,"s":…,"q":[quotes…],"p":"xxx"}.
 */
export function payloadMaker(size) {
  const pool = [];
  for (let p = 0; p < POOL_SIZE; p++) {
    // Leave ~46 bytes for the header and the padding field.
    const budget = Math.max(0, size - 46);
    const quotes = [];
    let len = 0;
    for (let q = 0; q < 1000; q++) {
      const f = quoteFragment(p * 31 + q);
      if (len + f.length + 1 > budget) break;
      quotes.push(f);
      len += f.length + 1;
    }
    pool.push(quotes.join(','));
  }
  const pads = [];
  return function make(seq) {
    const head = `{"t":${process.hrtime.bigint()},"s":${seq},"q":[${pool[seq % POOL_SIZE]}],"p":"`;
    const padLen = Math.max(0, size - head.length - 2);
    let pad = pads[padLen];
    if (pad === undefined) pad = pads[padLen] = 'x'.repeat(padLen);
    return head + pad + '"}';
  };
}
