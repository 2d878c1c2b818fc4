/**
 * Merges `serve` options from flags, environment and an optional JSON config file
 * (precedence flags > env > file > defaults) and validates them. Every problem becomes a
 * {@link ConfigError} naming where the bad value came from; the CLI turns it into exit code 2.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, resolve } from 'node:path';
import { SERVE_DEFAULTS, SERVE_OPTIONS, type OptionSpec, type ServeConfig } from './options.js';
import { TrustedProxies } from './client-address.js';
import { MIN_HS256_SECRET_BYTES } from '../auth/index.js';

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** A value before validation, with a description of where it came from (for error messages). */
interface RawValue {
  readonly value: unknown;
  readonly origin: string;
  /** Directory that relative paths are resolved against (the config file's), if any. */
  readonly baseDir?: string;
}

export interface ConfigSources {
  /** Values from parseArgs, keyed by flag name (e.g. 'tls-cert'). */
  flags?: Readonly<Record<string, string | boolean | undefined>>;
  env?: Readonly<Record<string, string | undefined>>;
  /** Path of a JSON config file (keys are the camelCase names of {@link ServeConfig}). */
  configFile?: string;
}

export function loadServeConfig(sources: ConfigSources): ServeConfig {
  const fileValues = sources.configFile ? readConfigFile(sources.configFile) : new Map<string, RawValue>();
  const config: ServeConfig = { ...SERVE_DEFAULTS };
  const target = config as unknown as Record<string, unknown>;
  for (const spec of SERVE_OPTIONS) {
    const raw = pickRaw(spec, sources, fileValues);
    if (raw !== undefined) target[spec.key] = convert(spec, raw);
  }
  validateCombination(config);
  return config;
}

function pickRaw(spec: OptionSpec, sources: ConfigSources, fileValues: Map<string, RawValue>): RawValue | undefined {
  const flag = sources.flags?.[spec.flag];
  if (flag !== undefined) return { value: flag, origin: `--${spec.flag}` };
  const env = sources.env?.[spec.env];
  if (env !== undefined && env !== '') return { value: env, origin: spec.env };
  return fileValues.get(spec.key);
}

function readConfigFile(file: string): Map<string, RawValue> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config file ${file}: ${(err as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`config file ${file} is not valid JSON: ${(err as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError(`config file ${file} must hold a JSON object`);
  }
  const known = new Set<string>(SERVE_OPTIONS.map((s) => s.key));
  const baseDir = dirname(resolve(file));
  const values = new Map<string, RawValue>();
  for (const [key, value] of Object.entries(parsed)) {
    if (!known.has(key)) {
      throw new ConfigError(`config file ${file}: unknown key "${key}" (known: ${[...known].join(', ')})`);
    }
    if (value !== null) values.set(key, { value, origin: `${file}: "${key}"`, baseDir });
  }
  return values;
}

function convert(spec: OptionSpec, raw: RawValue): unknown {
  if (spec.key === 'symbols') return convertSymbols(raw);
  if (spec.key === 'feed') return convertFeed(raw);
  if (spec.key === 'workers') return convertWorkers(spec, raw);
  if (spec.key === 'feedUrl') return convertFeedUrl(raw);
  if (spec.key === 'replaySpeed') return convertReplaySpeed(raw);
  if (spec.key === 'broker') return convertBroker(raw);
  if (spec.key === 'trustedProxies') {
    const list = asList(raw);
    try {
      new TrustedProxies(list);
    } catch (error) {
      throw new ConfigError(`${raw.origin}: ${(error as Error).message.replace(/^--trusted-proxies: /, '')}`);
    }
    return list;
  }
  if (spec.key === 'brokerPrefix') {
    const prefix = asNonEmptyString(raw);
    if (!PREFIX_RULE.test(prefix)) throw new ConfigError(`${raw.origin}: use 1 to 64 letters, digits, '_', '.' or '-', got "${prefix}"`);
    return prefix;
  }
  switch (spec.kind) {
    case 'string':
      return asNonEmptyString(raw);
    case 'path': {
      const path = asNonEmptyString(raw);
      return raw.baseDir ? resolve(raw.baseDir, path) : path;
    }
    case 'boolean':
      return asBoolean(raw);
    case 'int':
      return inRange(spec, raw, asInteger(raw));
    case 'bytes':
      return inRange(spec, raw, asBytes(raw));
    case 'duration':
      return inRange(spec, raw, asDuration(raw));
    case 'enum': {
      const value = asNonEmptyString(raw);
      if (!spec.choices?.includes(value)) {
        throw new ConfigError(`${raw.origin}: "${value}" is not one of ${spec.choices?.join(', ')}`);
      }
      return value;
    }
    case 'list':
      return asList(raw);
  }
}

function asNonEmptyString(raw: RawValue): string {
  if (typeof raw.value !== 'string' || raw.value.trim() === '') {
    throw new ConfigError(`${raw.origin}: expected a non-empty string`);
  }
  return raw.value.trim();
}

const TRUE_WORDS = ['true', '1', 'yes', 'on'];
const FALSE_WORDS = ['false', '0', 'no', 'off'];

function asBoolean(raw: RawValue): boolean {
  const v = raw.value;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') {
    const lower = v.trim().toLowerCase();
    if (TRUE_WORDS.includes(lower)) return true;
    if (FALSE_WORDS.includes(lower)) return false;
  }
  const pairs = TRUE_WORDS.map((word, k) => `${word}/${FALSE_WORDS[k]}`);
  throw new ConfigError(`${raw.origin}: expected ${pairs[0]!.replace('/', ' or ')} (also ${pairs.slice(1).join(', ')}), got ${JSON.stringify(v)}`);
}

function asInteger(raw: RawValue): number {
  const v = raw.value;
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*-?\d+\s*$/.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n)) throw new ConfigError(`${raw.origin}: expected an integer, got ${JSON.stringify(v)}`);
  return n;
}

const BYTE_UNITS: Readonly<Record<string, number>> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

function asBytes(raw: RawValue): number {
  const v = raw.value;
  if (typeof v === 'number') return asInteger(raw);
  const match = typeof v === 'string' ? /^\s*(\d+)\s*([kmg]?)i?b?\s*$/i.exec(v) : null;
  if (!match) throw new ConfigError(`${raw.origin}: expected a byte size like 65536, 256k or 4m, got ${JSON.stringify(v)}`);
  return Number(match[1]) * (BYTE_UNITS[match[2]!.toLowerCase()] ?? 1);
}

const DURATION_UNITS: Readonly<Record<string, number>> = { '': 1, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Milliseconds: a bare integer, or a number with ms / s / m / h (`30s`, `1.5m`, `24h`). */
function asDuration(raw: RawValue): number {
  const v = raw.value;
  if (typeof v === 'number') return asInteger(raw);
  const match = typeof v === 'string' ? /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/i.exec(v) : null;
  if (!match) throw new ConfigError(`${raw.origin}: expected a duration like 30000, 30s, 10m or 24h, got ${JSON.stringify(v)}`);
  const ms = Math.round(Number(match[1]) * (DURATION_UNITS[(match[2] ?? '').toLowerCase()] ?? 1));
  if (!Number.isSafeInteger(ms)) throw new ConfigError(`${raw.origin}: duration too large`);
  return ms;
}

function inRange(spec: OptionSpec, raw: RawValue, n: number): number {
  if ((spec.min !== undefined && n < spec.min) || (spec.max !== undefined && n > spec.max)) {
    throw new ConfigError(`${raw.origin}: ${n} is out of range ${spec.min ?? '-∞'}..${spec.max ?? '∞'}`);
  }
  return n;
}

function asList(raw: RawValue): string[] {
  const v = raw.value;
  const items = Array.isArray(v) ? v : typeof v === 'string' ? v.split(',') : null;
  if (!items || !items.every((x): x is string => typeof x === 'string')) {
    throw new ConfigError(`${raw.origin}: expected a comma list or an array of strings`);
  }
  const list = items.map((x) => x.trim()).filter((x) => x !== '');
  if (list.length === 0) throw new ConfigError(`${raw.origin}: the list is empty`);
  return list;
}

const MAX_SYNTHETIC_SYMBOLS = 100_000;

function convertSymbols(raw: RawValue): number | string[] {
  const v = raw.value;
  if (typeof v === 'number' || (typeof v === 'string' && /^\s*\d+\s*$/.test(v))) {
    const n = asInteger(raw);
    if (n < 1 || n > MAX_SYNTHETIC_SYMBOLS) {
      throw new ConfigError(`${raw.origin}: a synthetic universe needs 1..${MAX_SYNTHETIC_SYMBOLS} symbols, got ${n}`);
    }
    return n;
  }
  return asList(raw).map((s) => s.toUpperCase());
}

/**
 * A feed spec is `KIND` or `KIND:ARG` (simulator, replay:FILE, module:PATH, ...). Which kinds exist is
 * the feed registry's business (checked when the feed is built); here only the shape is checked, and
 * a relative file in a config file is resolved against the file's directory.
 */
function convertFeed(raw: RawValue): string {
  const spec = asNonEmptyString(raw).trim();
  const colon = spec.indexOf(':');
  const kind = colon === -1 ? spec : spec.slice(0, colon);
  if (!/^[a-z][a-z0-9-]*$/.test(kind)) {
    throw new ConfigError(`${raw.origin}: expected a feed spec like "simulator", "replay:<file>" or "module:<file.js>", got "${spec}"`);
  }
  if (colon === -1) return spec;
  const arg = spec.slice(colon + 1);
  if (arg === '') throw new ConfigError(`${raw.origin}: "${kind}:" needs an argument, e.g. "${kind}:<file>"`);
  if ((kind === 'replay' || kind === 'module') && raw.baseDir) return `${kind}:${resolve(raw.baseDir, arg)}`;
  return spec;
}

const MAX_REPLAY_SPEED = 1_000_000;

/** `max`, or a speed factor > 0 (`1`, `10`, `0.5`). */
function convertReplaySpeed(raw: RawValue): number | 'max' {
  const v = raw.value;
  if (typeof v === 'string' && v.trim().toLowerCase() === 'max') return 'max';
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(v) ? Number(v) : NaN;
  if (!(n > 0 && n <= MAX_REPLAY_SPEED)) {
    throw new ConfigError(`${raw.origin}: expected a speed like 1, 10 or max (a number in (0, ${MAX_REPLAY_SPEED}]), got ${JSON.stringify(v)}`);
  }
  return n;
}

/** `auto` = one worker per core; otherwise a count. 1 means no cluster at all (the plain server). */
function convertWorkers(spec: OptionSpec, raw: RawValue): number {
  if (raw.value === 'auto') return availableParallelism();
  return inRange(spec, raw, asInteger(raw));
}

/** Only the shape here; the broker layer parses the URL fully (and its errors name the part that is wrong). */
const PREFIX_RULE = /^[A-Za-z0-9_.-]{1,64}$/;

function convertBroker(raw: RawValue): string {
  const url = asNonEmptyString(raw).trim();
  if (!/^rediss?:\/\//.test(url)) {
    throw new ConfigError(`${raw.origin}: expected a Redis URL like redis://host:6379/0, got "${redactUserInfo(url)}"`);
  }
  return url;
}

/**
 * An upstream endpoint: ws:// or wss://, and never a key in it (a flag shows in `ps`, a config file
 * gets copied around): keys come from the environment only. The error never echoes the URL's query.
 */
function convertFeedUrl(raw: RawValue): string {
  const text = asNonEmptyString(raw);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError(`${raw.origin}: expected a ws:// or wss:// URL`);
  }
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') throw new ConfigError(`${raw.origin}: expected a ws:// or wss:// URL, got ${url.protocol}//`);
  if (url.username !== '' || url.password !== '' || /[?&](token|key|secret|apikey|api_key|password)=/i.test(url.search)) {
    throw new ConfigError(`${raw.origin}: must not carry credentials; keys come from the environment (FINNHUB_TOKEN, APCA_API_KEY_ID / APCA_API_SECRET_KEY)`);
  }
  return text;
}

/** Never echo a password back into a terminal or a log. */
function redactUserInfo(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}

function validateCombination(config: ServeConfig): void {
  if ((config.tlsCert === undefined) !== (config.tlsKey === undefined)) {
    throw new ConfigError('--tls-cert and --tls-key must be given together');
  }
  const jwtSources = [
    ['--auth-jwt-secret', config.authJwtSecret],
    ['--auth-jwt-public-key', config.authJwtPublicKey],
    ['--auth-jwks-url', config.authJwksUrl],
  ].filter(([, value]) => value !== undefined);
  if (jwtSources.length > 1) {
    throw new ConfigError(`give one JWT key source, not ${jwtSources.map(([flag]) => flag).join(' and ')}`);
  }
  if (config.authJwtSecret !== undefined && Buffer.byteLength(config.authJwtSecret) < MIN_HS256_SECRET_BYTES) {
    throw new ConfigError(`--auth-jwt-secret: an HS256 secret must be at least ${MIN_HS256_SECRET_BYTES} bytes (RFC 7518 section 3.2)`);
  }
  if (jwtSources.length === 1 && config.authToken !== undefined) {
    throw new ConfigError(`--auth-token and ${jwtSources[0]![0]} exclude each other: use a static token or JWTs`);
  }
  if (jwtSources.length === 0 && (config.authJwtIssuer !== undefined || config.authJwtAudience !== undefined || config.authMaxConnectionsPerUser > 0)) {
    throw new ConfigError('--auth-jwt-issuer, --auth-jwt-audience and --auth-max-connections-per-user need a JWT key source (--auth-jwt-secret, --auth-jwt-public-key or --auth-jwks-url)');
  }
  if (config.hardLimit < config.highWaterMark) {
    throw new ConfigError(
      `--hard-limit (${config.hardLimit}) must not be below --high-water-mark (${config.highWaterMark})`,
    );
  }
  if (config.interval !== 0 && config.interval < 10) {
    throw new ConfigError(`--interval must be 0 or 10..60000 ms, got ${config.interval}`);
  }
}

/**
 * The usage error for an unknown command-line option, with the nearest known flag when one is close
 * enough to be a typo: `unknown option --prot; did you mean --port?`. `known` lists the command's
 * long flags without dashes. Undefined when `err` is not parseArgs' unknown-option error.
 */
export function unknownOptionError(err: unknown, known: readonly string[]): ConfigError | undefined {
  if ((err as { code?: unknown } | null)?.code !== 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return undefined;
  // Node's message: "Unknown option '--prot'. To specify a positional argument starting with ..."
  const option = /'(-[^']*)'/.exec((err as Error).message)?.[1];
  if (option === undefined) return undefined;
  const name = option.replace(/^--?/, '').split('=')[0]!;
  const nearest = option.startsWith('--') ? nearestFlag(name, known) : undefined;
  return new ConfigError(`unknown option ${option}${nearest === undefined ? '' : `; did you mean --${nearest}?`}`);
}

/**
 * The known flag closest to `name` by edit distance (insertions, deletions, substitutions and
 * swaps of two neighbours each count 1), when it is close enough to be a typo: at most 1 edit for
 * names up to 4 characters, 2 up to 8, 3 beyond. Ties go to the first in `known`.
 */
export function nearestFlag(name: string, known: readonly string[]): string | undefined {
  const lower = name.toLowerCase();
  const limit = lower.length <= 4 ? 1 : lower.length <= 8 ? 2 : 3;
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const flag of known) {
    const distance = editDistance(lower, flag);
    if (distance < bestDistance) {
      best = flag;
      bestDistance = distance;
    }
  }
  return best;
}

/** Optimal string alignment distance (Levenshtein plus adjacent transpositions). */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[] = new Array<number>(rows * cols);
  for (let i = 0; i < rows; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(d[(i - 1) * cols + j]! + 1, d[i * cols + j - 1]! + 1, d[(i - 1) * cols + j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) value = Math.min(value, d[(i - 2) * cols + j - 2]! + 1);
      d[i * cols + j] = value;
    }
  }
  return d[rows * cols - 1]!;
}
