import type { StreamState } from '../broker/stream-state.js';
import type { StreamQuote } from '../broker/stream.js';
import { CloseCode } from '../protocol/constants.js';
import { commandCost } from './command-budget.js';
import { ALL_SYMBOLS, barsMessage, errorMessage, intervalMessage, parseCommand, pongMessage, refreshedMessage, subscriptionsMessage, type BarTimeframe, type ClientCommand, type CommandId, type ErrorCode } from '../wire/index.js';
import { barsFields } from './bars-query.js';
import type { ControlSender } from './control.js';
import type { Session } from './session.js';
import { isRestricted, splitEntitled, TokenRefusal, type AuthExpiry, type TokenVerifier } from './session-auth.js';
import type { SubscriptionRouter } from './subscription-router.js';
import type { CommandPolicy, ResolvedHubOptions } from './types.js';

export const READ_ONLY_REASON = 'read-only feed';
export const RATE_LIMIT_REASON = 'command rate limit exceeded';

/**
 * The client command protocol (docs/api.md): parses each client message, asks the policy hook
 * whether it may run, executes it against the quote cache and the router, and answers.
 * Malformed or refused commands get an `error` message; the connection stays open.
 */
export class SessionCommands {
  private readonly cache: StreamState;
  private readonly router: SubscriptionRouter;
  private readonly control: ControlSender;
  private readonly options: ResolvedHubOptions;
  private readonly policy: CommandPolicy | undefined;
  private readonly verifyToken: TokenVerifier | undefined;
  private readonly expiry: AuthExpiry;

  constructor(
    cache: StreamState,
    router: SubscriptionRouter,
    control: ControlSender,
    options: ResolvedHubOptions,
    hooks: { policy: CommandPolicy | undefined; verifyToken: TokenVerifier | undefined; expiry: AuthExpiry },
  ) {
    this.cache = cache;
    this.router = router;
    this.control = control;
    this.options = options;
    this.policy = hooks.policy;
    this.verifyToken = hooks.verifyToken;
    this.expiry = hooks.expiry;
  }

  /** One message from a client. */
  onMessage(session: Session, data: Buffer, isText: boolean): void {
    // Closing (for its rate, or its token): the rest of what it sent is not worth parsing.
    if (session.closed || session.closeRequestedAt !== 0) return;
    if (this.options.clientMessages === 'close') {
      session.conn.close(CloseCode.PolicyViolation, READ_ONLY_REASON);
      return;
    }
    // Every message costs one token before anything is parsed or answered (bad input is work too).
    if (!this.withinBudget(session, 1, undefined)) return;
    if (!isText) {
      this.sendError(session, undefined, 'bad_request', 'binary messages are not supported; send JSON text');
      return;
    }
    const command = parseCommand(data.toString('utf8'), this.options.maxSymbolsPerClient);
    if (command.type === 'error') {
      this.sendError(session, command.id, command.code, command.message);
      return;
    }
    // Commands naming many symbols cost more, and so do commands naming many symbols or asking for many bars (the first token is already spent).
    const size = 'symbols' in command && command.symbols !== null ? command.symbols.length : command.type === 'bars' ? command.limit : 0;
    if (size > 0 && !this.withinBudget(session, commandCost(size) - 1, command.id)) return;
    const refusal = this.policy?.(session.conn, command);
    if (refusal != null) {
      this.sendError(session, command.id, refusal.code, refusal.message);
      return;
    }
    this.execute(session, command);
  }

  /**
   * A protocol ping costs one token like a command: a client flooding pings makes us write a pong
   * for each, which is work too. Over budget it gets the same rate_limited answer and, if it keeps
   * going, the same 1008 close.
   */
  onProtocolPing(session: Session): void {
    if (!session.closed && session.closeRequestedAt === 0) this.withinBudget(session, 1, undefined);
  }

  /** Spends from the session's command budget; false when the message must not run. */
  private withinBudget(session: Session, cost: number, id: CommandId | undefined): boolean {
    const budget = session.budget;
    if (budget === null || cost <= 0) return true;
    switch (budget.spend(cost, Date.now())) {
      case 'run':
        return true;
      case 'refuse':
        this.sendError(session, id, 'rate_limited', `at most ${this.options.commandRatePerSec} commands per second (burst ${this.options.commandBurst}); further commands are dropped until the rate is respected`);
        return false;
      case 'drop':
        return false;
      case 'close':
        session.closeRequestedAt = Date.now();
        session.conn.close(CloseCode.PolicyViolation, RATE_LIMIT_REASON);
        return false;
    }
  }

  /**
   * Applies the subscription a client asked for in its URL. Returns the symbols it could not resolve
   * and those its entitlements exclude.
   */
  initialSubscription(session: Session, requested: readonly string[]): { unknown: string[]; forbidden: string[]; tooMany: boolean } {
    if (requested.includes(ALL_SYMBOLS)) {
      if (!isRestricted(session)) {
        session.all = true;
        return { unknown: [], forbidden: [], tooMany: false };
      }
      // A restricted user's '*' means every symbol it is entitled to, as of now.
      const { allowed } = splitEntitled(session, this.cache.symbols());
      if (allowed.length > this.options.maxSymbolsPerClient) return { unknown: [], forbidden: [], tooMany: true };
      session.symbols = new Set(allowed);
      return { unknown: [], forbidden: [], tooMany: false };
    }
    const resolved = this.resolveAll(requested);
    const { allowed, forbidden } = splitEntitled(session, resolved.known);
    if (allowed.length > this.options.maxSymbolsPerClient) return { unknown: resolved.unknown, forbidden, tooMany: true };
    session.symbols = new Set(allowed);
    return { unknown: resolved.unknown, forbidden, tooMany: false };
  }

  forbiddenSymbols(session: Session, id: CommandId | undefined, symbols: readonly string[]): void {
    this.sendError(session, id, 'forbidden_symbol', 'not entitled to these symbols', symbols);
  }

  /** Cached quotes of everything the session subscribes to. */
  cachedFor(session: Session): StreamQuote[] {
    if (session.all) return this.cache.quotes();
    const out: StreamQuote[] = [];
    for (const symbol of session.symbols) {
      const q = this.cache.last(symbol);
      if (q !== undefined) out.push(q);
    }
    return out;
  }

  sendError(session: Session, id: CommandId | undefined, code: ErrorCode, message: string, symbols?: readonly string[]): void {
    this.control.send(session, errorMessage(id, code, message, symbols));
  }

  tooManySymbols(session: Session, id: CommandId | undefined): void {
    this.sendError(session, id, 'too_many_symbols', `at most ${this.options.maxSymbolsPerClient} symbols per client`);
  }

  sendSnapshot(session: Session, id: CommandId | undefined, quotes: readonly StreamQuote[]): void {
    // Values kept for a conflating client are older than (or equal to) the snapshot: drop them.
    if (session.conflated !== null) this.router.slow.superseded(session, quotes.map((q) => q.symbol));
    this.control.send(session, this.router.encoder.snapshotMessage(id, quotes, this.cache.offset));
  }

  private execute(session: Session, command: ClientCommand): void {
    switch (command.type) {
      case 'subscribe':
        return this.subscribe(session, command.id, command.symbols);
      case 'unsubscribe':
        return this.unsubscribe(session, command.id, command.symbols);
      case 'interval':
        this.control.send(session, intervalMessage(command.id, command.intervalMs));
        if (command.intervalMs !== session.intervalMs) {
          session.intervalMs = command.intervalMs;
          this.router.regroup(session);
        }
        return;
      case 'snapshot':
        return this.snapshot(session, command.id, command.symbols);
      case 'ping':
        this.control.send(session, pongMessage(command.id, Date.now()));
        return;
      case 'refresh':
        return this.refresh(session, command.id, command.token);
      case 'bars':
        return this.bars(session, command.id, command.symbol, command.tf, command.limit);
    }
  }

  /**
   * A symbol's history at one timeframe, as of the cache's offset (docs/history.md). The reply goes
   * out on the connection in order with its quote frames, so the client continues it with the quotes
   * of a higher seq than the reply's: no gap and no bar counted twice at the seam.
   */
  private bars(session: Session, id: CommandId | undefined, raw: string, tf: BarTimeframe, limit: number): void {
    const symbol = this.cache.resolve(raw);
    if (symbol === undefined) {
      this.sendError(session, id, 'unknown_symbol', 'unknown symbols', [raw]);
      return;
    }
    if (splitEntitled(session, [symbol]).forbidden.length > 0) {
      this.forbiddenSymbols(session, id, [symbol]);
      return;
    }
    this.control.send(session, barsMessage(id, barsFields(this.cache, symbol, tf, limit)));
  }

  /**
   * Replaces the session's token with a newer one of the same user before the old one expires: the
   * new expiry and entitlements apply at once (symbols no longer entitled are unsubscribed). A failed
   * refresh changes nothing: the old token stays in force until it expires.
   */
  private refresh(session: Session, id: CommandId | undefined, token: string): void {
    const verify = this.verifyToken;
    const current = session.auth;
    if (verify === undefined || current === null) {
      this.sendError(session, id, 'bad_request', 'this server does not use token authentication; there is nothing to refresh');
      return;
    }
    verify(token).then(
      (auth) => {
        if (session.closed) return;
        if (auth.sub !== current.sub) {
          this.sendError(session, id, 'forbidden', 'the new token is for another user');
          return;
        }
        session.auth = auth;
        this.expiry.track(session);
        const removed = this.dropUnentitled(session);
        this.control.send(session, refreshedMessage(id, auth.sub, auth.expiresAt, removed));
        if (removed.length > 0) {
          this.control.send(session, subscriptionsMessage(undefined, session.subscriptionList()));
          this.router.regroup(session);
        }
      },
      (error: unknown) => {
        if (session.closed) return;
        const code = error instanceof TokenRefusal ? error.code : 'invalid_token';
        this.sendError(session, id, code, error instanceof Error ? error.message : 'the token was refused');
      },
    );
  }

  /** After the entitlements changed: unsubscribes what is no longer allowed; returns those symbols. */
  private dropUnentitled(session: Session): string[] {
    if (!isRestricted(session)) return [];
    if (session.all) {
      session.all = false;
      session.symbols = new Set(splitEntitled(session, this.cache.symbols()).allowed);
      return [];
    }
    const { allowed, forbidden } = splitEntitled(session, [...session.symbols]);
    if (forbidden.length > 0) session.symbols = new Set(allowed);
    return forbidden;
  }

  private subscribe(session: Session, id: CommandId | undefined, requested: readonly string[]): void {
    let added: StreamQuote[];
    let unknown: string[] = [];
    let forbidden: string[] = [];
    if (requested.includes(ALL_SYMBOLS) && !isRestricted(session)) {
      added = session.all ? [] : this.cachedExcept(session.symbols);
      session.all = true;
      session.symbols = new Set();
    } else {
      // A restricted user's '*' is every symbol it is entitled to, as of now.
      const resolved = requested.includes(ALL_SYMBOLS) ? { known: [...this.cache.symbols()], unknown: [] as string[] } : this.resolveAll(requested);
      unknown = resolved.unknown;
      const entitled = splitEntitled(session, resolved.known);
      if (!requested.includes(ALL_SYMBOLS)) forbidden = entitled.forbidden;
      resolved.known = entitled.allowed;
      added = [];
      if (!session.all) {
        const next = new Set(session.symbols);
        for (const symbol of resolved.known) next.add(symbol);
        if (next.size > this.options.maxSymbolsPerClient) {
          this.tooManySymbols(session, id);
          return;
        }
        for (const symbol of resolved.known) {
          if (session.symbols.has(symbol)) continue;
          const q = this.cache.last(symbol);
          if (q !== undefined) added.push(q);
        }
        session.symbols = next;
      }
    }
    this.control.send(session, subscriptionsMessage(id, session.subscriptionList()));
    this.sendSnapshot(session, id, added);
    this.router.regroup(session);
    if (unknown.length > 0) this.sendError(session, id, 'unknown_symbol', 'unknown symbols', unknown);
    if (forbidden.length > 0) this.forbiddenSymbols(session, id, forbidden);
  }

  private unsubscribe(session: Session, id: CommandId | undefined, requested: readonly string[]): void {
    let unknown: string[] = [];
    if (requested.includes(ALL_SYMBOLS)) {
      session.all = false;
      session.symbols = new Set();
    } else {
      const resolved = this.resolveAll(requested);
      unknown = resolved.unknown;
      // Leaving a few symbols out of '*' turns it into the explicit rest of the universe.
      const next = new Set(session.all ? this.cache.symbols() : session.symbols);
      for (const symbol of resolved.known) next.delete(symbol);
      session.all = false;
      session.symbols = next;
    }
    this.control.send(session, subscriptionsMessage(id, session.subscriptionList()));
    this.router.regroup(session);
    if (unknown.length > 0) this.sendError(session, id, 'unknown_symbol', 'unknown symbols', unknown);
  }

  private snapshot(session: Session, id: CommandId | undefined, requested: readonly string[] | null): void {
    if (requested === null) {
      this.sendSnapshot(session, id, this.cachedFor(session));
      return;
    }
    if (requested.includes(ALL_SYMBOLS)) {
      const all = this.cache.quotes();
      this.sendSnapshot(session, id, isRestricted(session) ? all.filter((q) => session.auth!.allows(q.symbol)) : all);
      return;
    }
    const resolved = this.resolveAll(requested);
    const { allowed, forbidden } = splitEntitled(session, resolved.known);
    const quotes: StreamQuote[] = [];
    for (const symbol of allowed) {
      const q = this.cache.last(symbol);
      if (q !== undefined) quotes.push(q);
    }
    this.sendSnapshot(session, id, quotes);
    if (resolved.unknown.length > 0) this.sendError(session, id, 'unknown_symbol', 'unknown symbols', resolved.unknown);
    if (forbidden.length > 0) this.forbiddenSymbols(session, id, forbidden);
  }

  /**
   * The server's spelling of each requested symbol, once each: case variants of one symbol
   * (`aapl`, `AAPL`) are one symbol, known or not.
   */
  private resolveAll(requested: readonly string[]): { known: string[]; unknown: string[] } {
    const known: string[] = [];
    const unknown: string[] = [];
    const seen = new Set<string>();
    for (const raw of requested) {
      const symbol = this.cache.resolve(raw);
      const key = symbol ?? raw.toUpperCase();
      if (seen.has(key)) continue;
      seen.add(key);
      if (symbol === undefined) unknown.push(raw);
      else known.push(symbol);
    }
    return { known, unknown };
  }

  private cachedExcept(symbols: ReadonlySet<string>): StreamQuote[] {
    const out: StreamQuote[] = [];
    for (const q of this.cache.quotes()) if (!symbols.has(q.symbol)) out.push(q);
    return out;
  }
}
