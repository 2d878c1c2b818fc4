import type { Quote } from '../market/index.js';
import type { SessionAuth, TokenVerifier } from './session-auth.js';
import type { StreamPosition } from './connect-params.js';
import type { ClientCommand, ErrorCode } from '../wire/index.js';

/**
 * A frame encoded once and written to many connections. The hub only needs its size (for metrics);
 * the transport's PreparedMessage satisfies this structurally.
 */
export interface PreparedFrame {
  readonly byteLength: number;
}

/** Builds the shared frame for one JSON text message (`deflate`: also offer a compressed variant). */
export type FrameFactory = (json: string, deflate: boolean) => PreparedFrame;

/**
 * How the hub turns messages into frames shared by many connections. The app passes the transport's
 * PreparedMessage here, so the hub itself never depends on the transport: another channel (SSE) is
 * one more implementation of HubConnection + HubFrames.
 */
export interface HubFrames {
  /** One JSON text message. */
  text: FrameFactory;
  /**
   * A `quotes` message made of quotes already encoded as UTF-8 JSON (QuoteEncoder.quoteBytes), with
   * the stream offset it brings its receivers to.
   */
  quotes(encodedQuotes: readonly Buffer[], deflate: boolean, offset: number): PreparedFrame;
  /** One binary (tickstream.bin.v1) message. */
  binary(bytes: Uint8Array, deflate: boolean): PreparedFrame;
  /** A binary `quotes` message made of quotes already encoded (BinaryQuoteEncoder.quoteBytes). */
  binaryQuotes(encodedQuotes: readonly Uint8Array[], deflate: boolean, offset: number): PreparedFrame;
}

/**
 * The policy hook for client commands (rate limits, entitlements): called for every valid command
 * before it runs. Return null to allow it, or the error to answer instead (the command is not run).
 */
export type CommandPolicy = (conn: HubConnection, command: ClientCommand) => { code: ErrorCode; message: string } | null;

/**
 * What the hub needs from a connection. The transport's WebSocketConnection satisfies it; unit tests
 * use a fake. Kept narrow on purpose so the hub never depends on socket details.
 */
export interface HubConnection {
  /** Request path + query of the upgrade request, e.g. '/?symbols=AAPL&interval=250'. */
  readonly url: string;
  /** Bytes queued for the socket but not yet handed to the kernel: the slow-consumer signal. */
  readonly bufferedAmount: number;
  /** A text message (JSON), or a binary one (tickstream.bin.v1). */
  send(data: string | Uint8Array): void;
  sendPrepared(frame: PreparedFrame): void;
  close(code?: number, reason?: string): void;
  terminate(): void;
  on(event: 'message', listener: (data: Buffer, isText: boolean) => void): unknown;
  on(event: 'close', listener: (code: number, reason: string) => void): unknown;
  on(event: 'drain', listener: () => void): unknown;
  /** A protocol ping from the client (the transport has already answered it with a pong). */
  on(event: 'ping', listener: (payload: Buffer) => void): unknown;
}

/** How the hub treats messages from clients. */
export type ClientMessagePolicy = 'commands' | 'close';

export interface HubOptions {
  /** Cadence for clients that did not choose one (ms; 0 = every tick). Default 1000. */
  defaultIntervalMs?: number;
  /** `{"type":"heartbeat"}` message cadence (ms; 0 = off). Default 15 000. */
  appHeartbeatMs?: number;
  /** Send-buffer size above which a client stops receiving quote frames and is conflated. Default 256 KiB. */
  highWaterMarkBytes?: number;
  /** Send-buffer size at which a slow client is closed immediately (1008). Default 4 MiB. */
  hardLimitBytes?: number;
  /** A client still conflating after this long is closed (1008 "slow consumer"). Default 10 000. */
  slowCloseAfterMs?: number;
  /** Largest explicit subscription set per client. Default 10 000. */
  maxSymbolsPerClient?: number;
  /** Client commands per second per connection (token bucket; 0 = no limit). Default 50. */
  commandRatePerSec?: number;
  /** Commands a client may send at once before the rate applies. Default 100. */
  commandBurst?: number;
  /** 'commands' (default) or 'close': any client message closes the connection with 1008 "read-only feed". */
  clientMessages?: ClientMessagePolicy;
  /** Also prepare deflated variants of shared frames for clients that negotiated permessage-deflate. */
  deflate?: boolean;
  /** Reported in the welcome message. Default 'tickstream'. */
  serverName?: string;
  /** Reported in the welcome message. Default '0.1.0'. */
  serverVersion?: string;
  /** Reported in the welcome message as `worker` when set (the cluster worker id). */
  instance?: number;
  /** Frame builders (required): the app passes the transport's; tests may inject their own. */
  frames: HubFrames;
  /** Checked before every client command (see {@link CommandPolicy}). */
  commandPolicy?: CommandPolicy;
  /** How long (ms) and how many quotes a reconnecting client can recover. Default 60 000 ms, 20 000 quotes. */
  recoveryWindowMs?: number;
  recoveryMaxQuotes?: number;
  /** Verifies the token of a `refresh` command (token authentication). Without it, refresh is refused. */
  verifyToken?: TokenVerifier;
}

export type ResolvedHubOptions = Required<Omit<HubOptions, 'frames' | 'commandPolicy' | 'instance' | 'verifyToken'>> & { instance: number | undefined };

/** Observability hooks, implemented by the app with prom-client. Every method is cheap and synchronous. */
export interface HubMetrics {
  /** Frames handed to connections: `count` deliveries totalling `bytes` (aggregated per fan-out). */
  messagesSent(count: number, bytes: number): void;
  slowConsumer(event: 'conflating' | 'resumed' | 'closed'): void;
  /** Quotes received from the feed. */
  feedTicks(count: number): void;
  /** Oldest tick of a feed batch → its every-tick (interval 0) frames handed to sockets, in seconds. */
  pushLatency(seconds: number): void;
  clientConnected(): void;
  clientDisconnected(): void;
}

/** A pino-compatible logger subset. */
export interface HubLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

/** A client's initial subscription, usually from {@link parseConnectParams}. */
export interface AttachOptions {
  /** ['*'] for every symbol, [] for none, or explicit symbols. */
  symbols?: readonly string[];
  /** Resume after this point of the stream (a reconnecting client): what it missed replaces the snapshot. */
  since?: StreamPosition;
  intervalMs?: number;
  /** The verified identity and entitlements of the client (token authentication). */
  auth?: SessionAuth;
  /** The client negotiated tickstream.bin.v1: every message goes out in the binary encoding. */
  binary?: boolean;
}

export interface HubStats {
  clients: number;
  /** Symbols in the universe. */
  symbols: number;
  /** (client, symbol) pairs; a '*' subscription counts every known symbol. */
  subscriptions: number;
  /** Clients currently conflating because they do not read fast enough. */
  slowClients: number;
  /** Distinct (interval, subscription set) groups sharing frames. */
  groups: number;
}

export type { Quote };
