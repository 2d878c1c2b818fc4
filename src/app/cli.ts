#!/usr/bin/env node
/**
 * The `tickstream` command: `serve` (default), `watch`, `echo`, `--help`, `--version`.
 * Usage errors print one clear line and exit with code 2.
 */
import { parseArgs } from 'node:util';
import { ConfigError, unknownOptionError } from './config.js';
import { mainHelp, watchHelp } from './help.js';
import { PACKAGE_VERSION } from './package-info.js';
import { EXIT_USAGE, runServe, serveArgsConfig } from './serve-command.js';
import { checkToken, DEFAULT_WATCH_URL, loadCaBundle, QuoteWatcher } from './watch.js';

const SUBCOMMANDS = new Set(['serve', 'ingest', 'watch', 'echo']);

const WATCH_OPTIONS = {
  json: { type: 'boolean' },
  interval: { type: 'string' },
  token: { type: 'string' },
  ca: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const ECHO_OPTIONS = {
  port: { type: 'string', default: '9001' },
  host: { type: 'string', default: '127.0.0.1' },
  'max-payload': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** The subcommand being run, for the usage hint after an error. */
let runningCommand = '';

/** The long flags a subcommand accepts (serve and ingest also take --no-FLAG for their booleans), for "did you mean". */
function knownFlags(command: string): string[] {
  if (command === 'watch') return Object.keys(WATCH_OPTIONS);
  if (command === 'echo') return Object.keys(ECHO_OPTIONS);
  const options = serveArgsConfig() ?? {};
  const flags = Object.keys(options);
  for (const [flag, option] of Object.entries(options)) if (option.type === 'boolean' && flag !== 'help') flags.push(`no-${flag}`);
  return flags;
}

async function main(argv: readonly string[]): Promise<number> {
  const first = argv[0];
  if (first === '--version' || first === '-v') {
    process.stdout.write(`${PACKAGE_VERSION}\n`);
    return 0;
  }
  if (first === '--help' || first === '-h' || first === 'help') {
    process.stdout.write(mainHelp(PACKAGE_VERSION));
    return 0;
  }
  const command = first !== undefined && SUBCOMMANDS.has(first) ? first : 'serve';
  const rest = command === first ? argv.slice(1) : argv;
  if (first !== undefined && !first.startsWith('-') && command !== first) {
    throw new ConfigError(`unknown command "${first}" (commands: serve, ingest, watch, echo)`);
  }
  runningCommand = command;
  try {
    switch (command) {
      case 'watch':
        return await runWatch(rest);
      case 'echo':
        return await runEcho(rest);
      case 'ingest': {
        const { runIngest } = await import('./ingest-command.js');
        return await runIngest(rest, process.env);
      }
      default:
        return await runServe(rest, process.env);
    }
  } catch (err) {
    // parseArgs' own text names the option but not what was meant: add the nearest known flag.
    throw unknownOptionError(err, knownFlags(command)) ?? err;
  }
}

async function runWatch(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    options: WATCH_OPTIONS,
    strict: true,
    allowPositionals: true,
  });
  if (values.help) {
    process.stdout.write(watchHelp());
    return 0;
  }
  const [url, symbols] = splitWatchPositionals(positionals);
  let intervalMs: number | undefined;
  if (values.interval !== undefined) {
    intervalMs = /^\d+$/.test(values.interval) ? Number(values.interval) : NaN;
    if (!(intervalMs === 0 || (intervalMs >= 10 && intervalMs <= 60_000))) {
      throw new ConfigError(`--interval must be 0 or 10..60000 ms, got "${values.interval}"`);
    }
  }
  // The flag wins over the environment; the environment is the better place (a flag shows in `ps`).
  const envToken = process.env.TICKSTREAM_AUTH_TOKEN;
  const token = values.token ?? (envToken === '' ? undefined : envToken);
  if (token !== undefined) checkToken(token);
  // Read before connecting: a bad bundle is a usage error (exit 2), not a reason to retry.
  const ca = values.ca === undefined ? undefined : loadCaBundle(values.ca);
  let watcher: QuoteWatcher;
  try {
    watcher = new QuoteWatcher({
      url,
      symbols,
      json: values.json === true,
      ...(intervalMs !== undefined ? { intervalMs } : {}),
      out: process.stdout,
      err: process.stderr,
      color: process.stdout.isTTY === true && process.env.NO_COLOR === undefined,
      ...(token !== undefined ? { token } : {}),
      ...(ca !== undefined ? { tls: { ca } } : {}),
    });
  } catch (err) {
    // An unparsable URL or an unsupported scheme (the message names neither the URL nor a token).
    throw new ConfigError(`watch: ${(err as Error).message}`);
  }
  const stop = (): void => watcher.stop();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  // `watch --json | head` closes the pipe: that is a normal way to end, not an error.
  process.stdout.on('error', stop);
  // 0 when stopped by a signal, 1 when the server's answer made retrying pointless (401, 4001 ...).
  return watcher.run();
}

/** The first positional is the URL when it looks like one (has "://" or host:port); the rest are symbols. */
function splitWatchPositionals(positionals: readonly string[]): [string, string[]] {
  const first = positionals[0];
  if (first !== undefined && (first.includes('://') || /^[\w.-]+:\d+(\/.*)?$/.test(first) || /^\[[\w:]+\]:\d+/.test(first))) {
    return [first, positionals.slice(1)];
  }
  return [DEFAULT_WATCH_URL, [...positionals]];
}

async function runEcho(argv: readonly string[]): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: ECHO_OPTIONS,
    strict: true,
  });
  if (values.help) {
    process.stdout.write('Usage: tickstream echo [--port 9001] [--host 127.0.0.1] [--max-payload BYTES]\n');
    return 0;
  }
  const port = parsePort(values.port);
  const { startEchoServer } = await import('./echo.js');
  const maxPayload = values['max-payload'] === undefined ? undefined : Number(values['max-payload']);
  if (maxPayload !== undefined && !(Number.isSafeInteger(maxPayload) && maxPayload > 0)) {
    throw new ConfigError(`--max-payload must be a positive integer, got "${values['max-payload']}"`);
  }
  const echo = await startEchoServer({ port, host: values.host, ...(maxPayload !== undefined ? { maxPayload } : {}) });
  process.stdout.write(
    JSON.stringify({ msg: 'listening', url: `ws://${values.host}:${echo.port}/`, port: echo.port }) + '\n',
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await echo.close();
  return 0;
}

function parsePort(text: string): number {
  const port = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(port >= 0 && port <= 65535)) throw new ConfigError(`--port must be 0..65535, got "${text}"`);
  return port;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    // parseArgs reports unknown flags / missing values with ERR_PARSE_ARGS_* codes: usage errors too.
    const code = (err as { code?: unknown }).code;
    if (err instanceof ConfigError || (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS'))) {
      const help = runningCommand === '' ? 'tickstream --help' : `tickstream ${runningCommand} --help`;
      process.stderr.write(`tickstream: ${(err as Error).message}\nRun "${help}" for usage.\n`);
      process.exit(EXIT_USAGE);
    }
    process.stderr.write(`tickstream: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exit(1);
  },
);
