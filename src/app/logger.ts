/**
 * pino loggers for the CLI: JSON lines by default (for log shippers), pino-pretty for humans.
 * pino-pretty runs as an in-process stream rather than a worker transport so that the final lines
 * written during shutdown are never lost when the process exits.
 */
import { createRequire } from 'node:module';
import { pino, type Logger } from 'pino';
import type { PrettyOptions, PrettyStream } from 'pino-pretty';
import { redactUrl } from '../hub/index.js';

/**
 * pino-pretty is loaded when a pretty logger is made, not when this module is: a program that
 * embeds the server (or logs JSON) never loads it.
 */
function loadPretty(): (options: PrettyOptions) => PrettyStream {
  const required = createRequire(import.meta.url)('pino-pretty') as { default?: unknown } | ((options: PrettyOptions) => PrettyStream);
  return (typeof required === 'function' ? required : required.default) as (options: PrettyOptions) => PrettyStream;
}

export type LogFormat = 'json' | 'pretty';

export interface LoggerOptions {
  level?: string;
  /** Default: pretty when stdout is a TTY, JSON otherwise. */
  format?: LogFormat | undefined;
  /** Where the lines go (default stdout); tests pass their own stream. */
  destination?: NodeJS.WritableStream;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const format = options.format ?? (process.stdout.isTTY ? 'pretty' : 'json');
  const level = options.level ?? 'info';
  const base = { name: 'tickstream' };
  const safety = {
    // A second line of defence behind the call sites: whatever logs a `url`, its credentials go,
    // and an Authorization header never reaches a log line, wherever it sits in the object.
    serializers: { err: pino.stdSerializers.err, url: (value: unknown) => (typeof value === 'string' ? redactUrl(value) : value) },
    redact: { paths: ['authorization', '*.authorization', 'headers.authorization', '*.headers.authorization'], censor: '***' },
  };
  if (format === 'pretty') {
    const stream = loadPretty()({
      colorize: process.stdout.isTTY === true,
      translateTime: 'SYS:HH:MM:ss.l',
      ignore: 'pid,hostname,name',
      sync: true,
      destination: options.destination ?? 1,
    });
    return pino({ level, base, ...safety }, stream);
  }
  if (options.destination) return pino({ level, base, ...safety }, options.destination);
  // sync: the 'listening' line must be visible the moment it is logged (scripts and tests wait for it).
  return pino({ level, base, ...safety }, pino.destination({ dest: 1, sync: true }));
}

/** A logger that drops everything (the `logger: false` option). */
export function silentLogger(): Logger {
  return pino({ level: 'silent', enabled: false });
}
