import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { FeedContext, FeedFactory, QuoteFeed } from './feed.js';
import { FeedSpecError } from './feed-spec-error.js';

/**
 * `module:PATH[#ARG]`: a feed plugin in a user's ES module, whose default export is a FeedFactory.
 * PATH is resolved against context.cwd (a file: URL works too); the factory gets ARG, the part after
 * the first '#', as its context.arg ('' without one), e.g. `module:./my-feed.js#wss://host/stream`.
 * Every way this can go wrong has its own message: the user wrote this file and needs to know which.
 */
export async function moduleKind(context: FeedContext): Promise<QuoteFeed> {
  const hash = context.arg.indexOf('#');
  const path = hash < 0 ? context.arg : context.arg.slice(0, hash);
  const arg = hash < 0 ? '' : context.arg.slice(hash + 1);
  if (path === '') throw new FeedSpecError('module needs a file: module:./my-feed.js');
  const file = path.startsWith('file:') ? fileURLToPath(path) : resolve(context.cwd, path);

  try {
    if (!(await stat(file)).isFile()) throw new FeedSpecError(`not a file: ${file}`);
  } catch (error) {
    if (error instanceof FeedSpecError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new FeedSpecError(`file not found (${file})`, { cause: error });
    throw new FeedSpecError(`cannot read ${file}: ${(error as Error).message}`, { cause: error });
  }

  let namespace: { default?: unknown };
  try {
    namespace = (await import(pathToFileURL(file).href)) as { default?: unknown };
  } catch (error) {
    throw new FeedSpecError(`cannot load ${file}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  const factory = namespace.default;
  if (factory === undefined) {
    throw new FeedSpecError(`${file} has no default export; it must \`export default\` a feed factory, (context) => feed`);
  }
  if (typeof factory !== 'function') {
    throw new FeedSpecError(`the default export of ${file} is ${factory === null ? 'null' : typeof factory}, not a feed factory function`);
  }
  return (factory as FeedFactory)({ ...context, arg });
}
