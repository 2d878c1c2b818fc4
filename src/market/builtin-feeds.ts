import { resolve } from 'node:path';
import type { FeedContext, FeedSettings, ReplaySpec, SimulatorSpec } from './feed.js';
import { FeedSpecError } from './feed-spec-error.js';
import { MarketSimulator } from './simulator.js';
import { ReplayFeed } from './replay-feed.js';

/** The built-in kinds, as factories for spec strings and as builders for object specs. */

/** `simulator`: the embedded market, configured by the server settings (seed, symbols, rate). */
export function simulatorKind(context: FeedContext): MarketSimulator {
  if (context.arg !== '') throw new FeedSpecError(`the simulator takes no argument (got "${context.arg}"); configure it with the seed, symbols and ticks-per-second settings`);
  return simulatorFromSpec({ kind: 'simulator' }, context.settings);
}

/**
 * `replay:FILE`: a recording (CSV or NDJSON) at `settings.replaySpeed` (default 1), looping unless
 * `settings.replayLoop` is false (a server should not fall silent, and its /healthz go 503, when the
 * file ends).
 */
export function replayKind(context: FeedContext): ReplayFeed {
  if (context.arg === '') throw new FeedSpecError('replay needs a file: replay:FILE');
  return new ReplayFeed({
    file: resolve(context.cwd, context.arg),
    speed: context.settings.replaySpeed ?? 1,
    loop: context.settings.replayLoop ?? true,
    logger: context.logger,
  });
}

/** An object spec's own fields win over the shared settings. */
export function simulatorFromSpec(spec: SimulatorSpec, settings: FeedSettings): MarketSimulator {
  return new MarketSimulator({
    seed: spec.seed ?? settings.seed,
    symbols: spec.symbols ?? settings.symbols,
    ticksPerSecond: spec.ticksPerSecond ?? settings.ticksPerSecond,
    tickIntervalMs: spec.tickIntervalMs,
    history: spec.history ?? true,
    alwaysOpen: spec.alwaysOpen ?? settings.alwaysOpen ?? true,
  });
}

/** Object specs keep their own default: no loop unless asked (`speed: Infinity` is 'max'). */
export function replayFromSpec(spec: ReplaySpec, cwd: string): ReplayFeed {
  return new ReplayFeed({ file: resolve(cwd, spec.file), speed: spec.speed, loop: spec.loop });
}
