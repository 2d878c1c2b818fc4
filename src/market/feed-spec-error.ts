/**
 * A feed spec that cannot become a feed: unknown kind, missing file, a module that is not a feed
 * plugin, or a factory that refused its argument. The message is one line, starting with the spec
 * (`module:./x.js: file not found (/srv/x.js)`), so the CLI can print it as is and exit with code 2.
 * The original error, if any, is the `cause`.
 */
export class FeedSpecError extends Error {
  override readonly name = 'FeedSpecError';
}
