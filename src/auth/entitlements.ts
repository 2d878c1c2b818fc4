import { AuthError } from './auth-error.js';

/** Longest pattern accepted in the claim: twice the longest symbol the hub accepts, room for `*`s. */
export const MAX_PATTERN_LENGTH = 64;
/** Most patterns one token may carry: bounds the work `allows()` does per symbol. */
export const MAX_PATTERNS = 10_000;
/** How many patterns `describe()` lists before it summarises: log lines stay short. */
const DESCRIBE_SHOWN = 5;

/**
 * Printable ASCII without space and comma (they separate patterns in the string form). ASCII only
 * so that folding ASCII letters (asciiUpper) is all case-insensitive matching needs.
 */
const PATTERN_CHARS = /^[\x21-\x2b\x2d-\x7e]+$/;
const SEPARATORS = /[\s,]+/;
const ASCII_LOWER = /[a-z]+/g;

/**
 * Upper-cases ASCII letters only. Patterns are ASCII, so that is all the folding matching needs,
 * and unlike a full toUpperCase it never turns one character into two (`ß` → `SS`), which would let
 * the pattern `SS` allow the symbol `ß`.
 */
function asciiUpper(s: string): string {
  return s.replace(ASCII_LOWER, (run) => run.toUpperCase());
}

/**
 * An anchored glob with `*` as its only wildcard, compiled to literal pieces rather than a RegExp:
 * nothing from the token is ever interpreted as regex syntax, and matching is linear (the first
 * piece is a prefix, the last a suffix, the middle ones are found left to right, which is exact for
 * `*`-only globs and cannot backtrack).
 */
class GlobMatcher {
  private readonly head: string;
  private readonly tail: string;
  private readonly middle: readonly string[];
  private readonly minLength: number;

  constructor(readonly pattern: string) {
    const pieces = pattern.split('*');
    this.head = pieces[0] ?? '';
    this.tail = pieces.length > 1 ? (pieces[pieces.length - 1] ?? '') : '';
    this.middle = pieces.slice(1, -1).filter((p) => p !== '');
    this.minLength = pieces.reduce((n, p) => n + p.length, 0);
  }

  matches(symbol: string): boolean {
    if (symbol.length < this.minLength) return false;
    if (!symbol.startsWith(this.head) || !symbol.endsWith(this.tail)) return false;
    let at = this.head.length;
    const end = symbol.length - this.tail.length;
    for (const piece of this.middle) {
      const found = symbol.indexOf(piece, at);
      if (found < 0 || found + piece.length > end) return false;
      at = found + piece.length;
    }
    return true;
  }
}

function invalid(message: string): AuthError {
  return new AuthError('invalid_token', `entitlement claim: ${message}`);
}

/** The claim's patterns, as raw strings, in either accepted shape (array or separated string). */
function patternsOf(value: unknown): string[] {
  if (typeof value === 'string') {
    const parts = value.split(SEPARATORS).filter((p) => p !== '');
    if (parts.length === 0) throw invalid('is an empty string');
    return parts;
  }
  if (Array.isArray(value)) {
    if (value.length > MAX_PATTERNS) throw invalid(`has more than ${MAX_PATTERNS} patterns`);
    return value.map((item, i) => {
      if (typeof item !== 'string') throw invalid(`item ${i} is not a string`);
      return item;
    });
  }
  throw invalid('must be an array of strings or a space/comma separated string');
}

/**
 * Which symbols a token's holder may receive. Built once per token from its entitlement claim;
 * `allows()` then runs for every symbol a client asks for, so plain symbols sit in a Set and only
 * the wildcard patterns are tested one by one.
 */
export class Entitlements {
  private constructor(
    private readonly everything: boolean,
    private readonly exact: ReadonlySet<string>,
    private readonly globs: readonly GlobMatcher[],
  ) {}

  /** Everything allowed: what a token without the entitlement claim gets. */
  static readonly ALL = new Entitlements(true, new Set(), []);

  /**
   * Parses the claim. Absent (`undefined`) allows every symbol; an empty array allows none. Anything
   * malformed throws AuthError('invalid_token') rather than being skipped: a half-read entitlement
   * list could silently grant or deny the wrong symbols.
   */
  static fromClaim(value: unknown): Entitlements {
    if (value === undefined) return Entitlements.ALL;
    const raw = patternsOf(value);
    if (raw.length > MAX_PATTERNS) throw invalid(`has more than ${MAX_PATTERNS} patterns`);
    const exact = new Set<string>();
    const globs = new Map<string, GlobMatcher>();
    for (const [i, item] of raw.entries()) {
      if (item === '') throw invalid(`item ${i} is an empty string`);
      if (item.length > MAX_PATTERN_LENGTH) throw invalid(`item ${i} is longer than ${MAX_PATTERN_LENGTH} characters`);
      if (!PATTERN_CHARS.test(item)) {
        throw invalid(`item ${i} has characters other than printable ASCII (no spaces or commas)`);
      }
      const pattern = asciiUpper(item).replace(/\*{2,}/g, '*');
      if (pattern === '*') return Entitlements.ALL;
      if (pattern.includes('*')) {
        if (!globs.has(pattern)) globs.set(pattern, new GlobMatcher(pattern));
      } else {
        exact.add(pattern);
      }
    }
    return new Entitlements(false, exact, [...globs.values()]);
  }

  /** True when every symbol is allowed (no claim, or a `*` pattern). */
  get all(): boolean {
    return this.everything;
  }

  /** Case-insensitive, whole-symbol match: `AAPL` does not allow `AAPL2`. */
  allows(symbol: string): boolean {
    if (this.everything) return true;
    const upper = asciiUpper(symbol);
    if (this.exact.has(upper)) return true;
    for (const glob of this.globs) if (glob.matches(upper)) return true;
    return false;
  }

  /** The allowed symbols, in input order. */
  filter(symbols: Iterable<string>): string[] {
    const out: string[] = [];
    for (const s of symbols) if (this.allows(s)) out.push(s);
    return out;
  }

  /** One short line for logs, e.g. `3 patterns: AAPL, MSFT, *.SH`. */
  describe(): string {
    if (this.everything) return 'all symbols';
    const patterns = [...this.exact, ...this.globs.map((g) => g.pattern)];
    if (patterns.length === 0) return 'no symbols';
    const shown = patterns.slice(0, DESCRIBE_SHOWN).join(', ');
    const more = patterns.length > DESCRIBE_SHOWN ? `, … (+${patterns.length - DESCRIBE_SHOWN})` : '';
    return `${patterns.length} pattern${patterns.length === 1 ? '' : 's'}: ${shown}${more}`;
  }
}
