import type { FeedContext, FeedFactory, FeedLogger, FeedSpec, QuoteFeed, ReplaySpec, SimulatorSpec } from './feed.js';
import { FeedSpecError } from './feed-spec-error.js';
import { replayFromSpec, replayKind, simulatorFromSpec, simulatorKind } from './builtin-feeds.js';
import { moduleKind } from './module-feed.js';
import { alpacaKind, binanceKind, finnhubKind } from './upstream/upstream-kinds.js';

/**
 * The registry of feed kinds and createFeed(), which turns a spec into a started-able feed.
 * A spec string is `kind` or `kind:ARG` (`simulator`, `replay:FILE`, `module:PATH`); the kind names a
 * registered FeedFactory, which gets ARG as context.arg. Embedders add kinds with registerFeedKind()
 * instead of editing a switch; users without code of their own in the server use `module:`.
 */

const kinds = new Map<string, FeedFactory>([
  ['simulator', simulatorKind],
  ['replay', replayKind],
  ['module', moduleKind],
  // Upstream adapters: real market data from provider WebSocket APIs (docs/feeds.md).
  ['finnhub', finnhubKind],
  ['alpaca', alpacaKind],
  ['binance', binanceKind],
]);

const KIND_NAME = /^[a-z][a-z0-9-]*$/;

/** Makes `kind:ARG` specs build feeds with `factory`. A kind is registered once (built-ins included). */
export function registerFeedKind(kind: string, factory: FeedFactory): void {
  if (!KIND_NAME.test(kind)) throw new TypeError(`feed kind must match ${KIND_NAME}, got ${JSON.stringify(kind)}`);
  if (typeof factory !== 'function') throw new TypeError(`the factory of feed kind "${kind}" must be a function`);
  if (kinds.has(kind)) throw new Error(`feed kind "${kind}" is already registered`);
  kinds.set(kind, factory);
}

/** The registered kinds, sorted (for help texts and error messages). */
export function feedKinds(): string[] {
  return [...kinds.keys()].sort();
}

const SILENT: FeedLogger = { info() {}, warn() {}, error() {} };

/**
 * Builds the feed a spec asks for; the feed is not started. `context` defaults: no settings, the
 * process's working directory, a silent logger. Every failure (unknown kind, missing file, a factory
 * that throws or returns something that is not a feed) is a FeedSpecError with a one-line message.
 */
export async function createFeed(spec: string | FeedSpec, context: Partial<FeedContext> = {}): Promise<QuoteFeed> {
  const base = {
    settings: context.settings ?? {},
    cwd: context.cwd ?? process.cwd(),
    logger: context.logger ?? SILENT,
  };
  if (typeof spec === 'string') {
    const colon = spec.indexOf(':');
    const kind = colon < 0 ? spec : spec.slice(0, colon);
    const arg = colon < 0 ? '' : spec.slice(colon + 1);
    if (kind === '') throw new FeedSpecError(`empty feed kind in "${spec}" (known kinds: ${feedKinds().join(', ')})`);
    const factory = kinds.get(kind);
    if (factory === undefined) throw unknownKind(kind);
    return build(spec, () => factory({ ...base, arg }));
  }
  // Object specs of the built-in kinds, for embedders; their own fields win over the settings.
  const kind: unknown = (spec as { kind?: unknown } | null)?.kind;
  switch (kind) {
    case 'simulator':
      return build('simulator', () => simulatorFromSpec(spec as SimulatorSpec, base.settings));
    case 'replay': {
      const replay = spec as ReplaySpec;
      return build(`replay:${replay.file}`, () => replayFromSpec(replay, base.cwd));
    }
    default:
      throw unknownKind(kind);
  }
}

function unknownKind(kind: unknown): FeedSpecError {
  return new FeedSpecError(`unknown feed kind ${JSON.stringify(kind)} (known kinds: ${feedKinds().join(', ')})`);
}

/** Runs a factory; any failure becomes a one-line FeedSpecError naming the spec. */
async function build(label: string, make: () => QuoteFeed | Promise<QuoteFeed>): Promise<QuoteFeed> {
  let feed: unknown;
  try {
    feed = await make();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new FeedSpecError(`${label}: ${oneLine(message)}`, { cause: error });
  }
  const problem = notAFeed(feed);
  if (problem !== undefined) throw new FeedSpecError(`${label}: the factory returned ${problem}`);
  return feed as QuoteFeed;
}

/** Why a factory's result is not a QuoteFeed, or undefined when it is one (as far as can be checked). */
function notAFeed(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) {
    return `${value === null ? 'null' : typeof value}, not a feed (an object with start and stop functions)`;
  }
  const fields = value as Record<string, unknown>;
  const missing = ['start', 'stop'].filter((key) => typeof fields[key] !== 'function');
  if (missing.length > 0) return `an object without ${missing.join(' or ')} function, not a feed`;
  if (typeof fields['name'] !== 'string' || fields['name'] === '') return 'a feed without a name (a non-empty string)';
  return undefined;
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}
