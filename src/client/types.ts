/** The client's public option and event types (the protocol's own types are src/wire's). */
import type { CommandId, ErrorCode, FeedState, ServerMessage, WireQuote } from '../wire/types.js';
import type { ReconnectOptions } from './backoff.js';
import type { ClientErrorCode } from './errors.js';
import type { StopCause } from './retry.js';
import type { SocketFactory } from './socket.js';

export interface TickstreamClientOptions {
  /** ws(s):// (or http(s)://) URL of the server, e.g. `wss://quotes.example.com/ws`. Its own query parameters are kept. */
  url: string | URL;
  /** Initial subscription. Default ['*'] (every symbol); [] subscribes to nothing. */
  symbols?: readonly string[];
  /** Push cadence in ms: 0 = every tick, or 10…60000. Default 1000 (the server's default). */
  interval?: number;
  /** A static bearer token. */
  token?: string;
  /**
   * Called before every connection attempt, and ahead of a JWT's `exp` for an in-band refresh.
   * Takes precedence over `token`. A throw or rejection counts as a failed attempt (retried).
   */
  getToken?: () => Promise<string> | string;
  /** How long before a JWT's `exp` the refresh is sent (at most half of what is left). Default 60 000 ms. */
  refreshAheadMs?: number;
  reconnect?: Partial<ReconnectOptions>;
  /**
   * Silence after which the connection is considered dead and replaced. Default: twice the server's
   * heartbeat from the welcome (none when the server sends none). 0 = never.
   */
  heartbeatTimeoutMs?: number;
  /** Time allowed from the start of an attempt to the server's welcome. Default 10 000 ms. */
  connectTimeoutMs?: number;
  /** How connections are opened. Default: the platform WebSocket (browser entry) or tickstream's Node client (Node entry). */
  socket?: SocketFactory;
}

export type ClientState = 'idle' | 'connecting' | 'live' | 'reconnecting' | 'stopped';

/** Why the client stopped for good. */
export type StopReason = StopCause | 'client_stopped' | 'max_attempts';

export interface StateEvent {
  state: ClientState;
  /**
   * connecting: the attempt number (0 = first) · live: none · reconnecting: why the connection ended and
   * the delay before the next attempt · stopped: why (e.g. "token refused: HTTP 401 Unauthorized: invalid token").
   */
  reason?: string;
  /** Failed attempts in a row so far. */
  attempt: number;
  /** reconnecting: ms until the next attempt. */
  delayMs?: number;
  /** stopped: the machine-readable reason. */
  cause?: StopReason;
}

export interface QuotesEvent {
  /** The quotes applied, in stream order (a symbol may appear several times at interval 0). */
  quotes: WireQuote[];
  /** True when they came from a recovered snapshot after a reconnect (what was missed while away). */
  recovered: boolean;
  /** Stream offset the client holds after applying them. */
  offset: number;
}

export interface SnapshotEvent {
  quotes: WireQuote[];
  /**
   * initial: first state of the first connection · resync: after a reconnect the server could not
   * recover exactly (recovered:false) · epoch: the first state of a new stream epoch · subscribe:
   * newly subscribed symbols · request: the reply to snapshot().
   */
  cause: 'initial' | 'resync' | 'epoch' | 'subscribe' | 'request';
  /** True when the client's state was replaced by these quotes (held symbols not in it are gone). */
  replaced: boolean;
  offset: number;
}

export interface FeedStatusEvent {
  feed: FeedState;
  reason?: string;
}

export interface EpochEvent {
  epoch: string;
  /** The epoch the client held before (undefined only on the very first welcome, which emits no event). */
  previous: string;
}

export type ClientErrorEvent =
  /** An `error` message of the server that no pending command took (an unknown symbol in the URL, a partial subscribe). */
  | { source: 'server'; code: ErrorCode; message: string; symbols: readonly string[]; id?: CommandId }
  /** Something the client noticed itself. */
  | { source: 'client'; code: ClientErrorCode; message: string; cause?: unknown };

export interface RefreshedEvent {
  sub: string;
  expiresAt: number | null;
  /** Symbols the new token no longer entitles (unsubscribed by the server). */
  removed: readonly string[];
}

export interface TickstreamEvents {
  quotes: QuotesEvent;
  snapshot: SnapshotEvent;
  status: FeedStatusEvent;
  epoch: EpochEvent;
  state: StateEvent;
  error: ClientErrorEvent;
  refreshed: RefreshedEvent;
  /** Every message from the server, decoded, before the client acts on it. */
  message: ServerMessage;
}

export interface SubscribeResult {
  /** The whole subscription after the command (['*'] = everything). */
  symbols: string[];
  /** The latest quote of each newly added symbol. */
  quotes: WireQuote[];
}
