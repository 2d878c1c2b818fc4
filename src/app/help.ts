/** Help texts, generated from the option table so they always match the parser. */
import { SERVE_DEFAULTS, SERVE_OPTIONS } from './options.js';

export function mainHelp(version: string): string {
  return `tickstream ${version} — real-time stock quotes pushed over WebSocket

Usage:
  tickstream [serve] [options]        run the quote server (HTTP + WebSocket on one port)
  tickstream ingest --broker URL [--feed SPEC]
                                      run the feed and publish its stream to Redis (for edges)
  tickstream watch [URL] [SYMBOL...]  live quote table in the terminal (default ws://localhost:8765)
  tickstream echo [--port 9001] [--host 127.0.0.1]
                                      RFC 6455 echo server (for conformance testing)
  tickstream --help | --version

Run "tickstream serve --help", "tickstream ingest --help" or "tickstream watch --help" for their options.
`;
}

export function serveHelp(): string {
  const lines = SERVE_OPTIONS.map((spec) => {
    const flag = `--${spec.flag}${spec.valueName ? ' ' + spec.valueName : ''}`;
    const def = SERVE_DEFAULTS[spec.key];
    const defText = def === undefined ? '' : ` [default: ${Array.isArray(def) ? def.join(',') : String(def)}]`;
    return `  ${flag.padEnd(28)} ${spec.help}${defText}\n  ${''.padEnd(28)} env ${spec.env}, config key "${spec.key}"`;
  });
  return `Usage: tickstream serve [options]

Serves HTTP (dashboard, /api/symbols, /api/quotes, /healthz, /metrics) and WebSocket (/ and /ws)
on one port. Precedence: flags > environment > config file > defaults.

  --config FILE                JSON config file (keys as listed below); env TICKSTREAM_CONFIG
${lines.join('\n')}
  -h, --help                   this help
`;
}

export function watchHelp(): string {
  return `Usage: tickstream watch [URL] [SYMBOL...] [options]

Shows a live quote table that redraws in place and reconnects when the server goes away.
URL defaults to ws://localhost:8765 (wss:// for TLS). No SYMBOL = every symbol.

  --json            print one quote per line (NDJSON) instead of the table, for pipes
  --interval MS     push interval to ask the server for (0 = every tick, else 10..60000)
  --token TOKEN     sent as "Authorization: Bearer TOKEN" on the upgrade; never printed.
                    Prefer env TICKSTREAM_AUTH_TOKEN (a flag is visible in ps); the flag wins
  --ca FILE         PEM CA bundle trusted for wss:// in addition to Node's default CAs
  -h, --help        this help

Reconnects with backoff after network errors, server restarts (close 1000/1001/1006/1011/1012/1013),
close 1008 (slow consumer, rate limited) and HTTP 429/503 (after Retry-After, at most 60 s).
Gives up, says why and exits 1 when retrying cannot help: HTTP 401 (token missing or wrong),
403, 400, 404, 426; close 4001 (token expired), 4003, 1002, 1003, 1007, 1009, 1010; an untrusted
TLS certificate. Exit codes: 0 after Ctrl-C, 1 when it gave up, 2 for usage errors (bad --ca file).
`;
}

export function ingestHelp(): string {
  return `Usage: tickstream ingest --broker redis://HOST:PORT[/DB] [--feed SPEC] [options]

Runs ONE feed and publishes its stream to Redis. Edges (tickstream serve --broker URL) read it and
serve clients; start any number of them, on any machine that reaches the Redis.

  --broker URL          redis://[user:pass@]host:port[/db] (env TICKSTREAM_BROKER); a password here is never logged
  --broker-prefix NAME  key prefix, so several markets can share one Redis [default: tickstream]
  --feed SPEC           simulator | replay:<file.csv|.ndjson> | finnhub | alpaca | binance | module:<feed.js> [default: simulator]
  --replay-speed N|max, --[no-]replay-loop   replay settings, as for serve [default: 1, looping]
  --feed-url, --feed-symbols, --feed-stale-after   upstream feed settings, as for serve (docs/feeds.md)
  --seed, --symbols, --ticks-per-second, --[no-]always-open   simulator settings, as for serve
  --metrics-port N      port of /healthz, /readyz and /metrics [default: 9100]
  --host ADDR           interface for that port [default: 0.0.0.0]
  --log-level, --log-format, --config     as for serve
  -h, --help            this help
`;
}
