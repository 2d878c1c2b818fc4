/**
 * Commands in flight: each gets an id, waits (queued) until a connection can take it, and settles on
 * the server's reply with that id, on an `error` with that id, or when its connection closes first.
 */
import type { ClientCommandMessage, CommandId, ServerMessage, WireQuote } from '../wire/types.js';

/** A `bars` reply without its type and id: the history of one symbol as of a stream offset. */
export type BarsResult = Omit<Extract<ServerMessage, { type: 'bars' }>, 'type' | 'id'>;
import { TickstreamError } from './errors.js';

/** What a command resolves with, by its type. */
export interface CommandResults {
  subscribe: { symbols: string[]; quotes: WireQuote[] };
  unsubscribe: string[];
  interval: number;
  snapshot: WireQuote[];
  ping: number;
  refresh: { sub: string; expiresAt: number | null; removed: string[] };
  bars: BarsResult;
}

export type CommandType = keyof CommandResults;

/** A command's members besides `type` and `id`. */
export type CommandFields<T extends CommandType> = Omit<Extract<ClientCommandMessage, { type: T }>, 'type' | 'id'>;

interface Pending {
  id: number;
  message: ClientCommandMessage & { id: number };
  sent: boolean;
  resolve(value: unknown): void;
  reject(error: TickstreamError): void;
  /** subscribe: the set acknowledged, while its snapshot is awaited. */
  acked?: string[];
}

export class CommandTracker {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  /** A new command (its id is given here). Sent by flush() once a connection is ready for it. */
  add<T extends CommandType>(type: T, fields: CommandFields<T>): Promise<CommandResults[T]> {
    const id = this.nextId++;
    const message = { type, ...fields, id } as unknown as ClientCommandMessage & { id: number };
    return new Promise<CommandResults[T]>((resolve, reject) => {
      this.pending.set(id, { id, message, sent: false, resolve: resolve as (value: unknown) => void, reject });
    });
  }

  /** Sends every command not sent yet, in the order they were made. */
  flush(send: (text: string) => void): void {
    for (const entry of this.pending.values()) {
      if (entry.sent) continue;
      entry.sent = true;
      send(JSON.stringify(entry.message));
    }
  }

  /** The command of a reply's id (only ids this client made are numbers it knows). */
  get(id: CommandId | undefined): { type: CommandType; acked?: string[] } | undefined {
    if (typeof id !== 'number') return undefined;
    const entry = this.pending.get(id);
    return entry === undefined ? undefined : { type: entry.message.type, ...(entry.acked ? { acked: entry.acked } : {}) };
  }

  /** A subscribe's ack: remembered until its snapshot, which settles it. */
  acknowledge(id: number, symbols: string[]): void {
    const entry = this.pending.get(id);
    if (entry !== undefined) entry.acked = symbols;
  }

  resolve<T extends CommandType>(id: number, value: CommandResults[T]): void {
    const entry = this.pending.get(id);
    if (entry === undefined) return;
    this.pending.delete(id);
    entry.resolve(value);
  }

  /** Rejects one command; false when no such command is waiting (the error is then reported as an event). */
  reject(id: CommandId | undefined, error: TickstreamError): boolean {
    if (typeof id !== 'number') return false;
    const entry = this.pending.get(id);
    if (entry === undefined) return false;
    this.pending.delete(id);
    entry.reject(error);
    return true;
  }

  /** The connection closed: commands it carried may or may not have run; unsent ones wait for the next. */
  connectionClosed(): void {
    for (const entry of [...this.pending.values()]) {
      if (!entry.sent) continue;
      this.pending.delete(entry.id);
      entry.reject(new TickstreamError('connection_closed', `the connection closed before the reply to ${entry.message.type} arrived`));
    }
  }

  /** The client stopped: nothing will be sent or answered any more. */
  rejectAll(error: TickstreamError): void {
    const entries = [...this.pending.values()];
    this.pending.clear();
    for (const entry of entries) entry.reject(error);
  }
}
