/**
 * A fake of Finnhub's WebSocket trades API, written from its documentation: the key arrives as
 * `?token=`, a wrong one is refused at the handshake (401); `{"type":"subscribe","symbol":S}` adds a
 * symbol; trades go out as `{"type":"trade","data":[{s,p,t,v,c}]}` to the connections subscribed.
 */
import { FakeUpstream, type FakeClient } from './fake-upstream.js';

export const FINNHUB_TEST_TOKEN = 'finnhub-test-token';

export class FinnhubFake {
  readonly upstream: FakeUpstream;
  /** Symbols each connection subscribed to. */
  readonly subscriptions = new Map<FakeClient, Set<string>>();

  private constructor(upstream: FakeUpstream) {
    this.upstream = upstream;
  }

  static async start(): Promise<FinnhubFake> {
    let fake: FinnhubFake | undefined;
    const upstream = await FakeUpstream.start({
      // The real service checks the key at the handshake.
      verify: (request) => (new URL(request.url ?? '/', 'ws://fake').searchParams.get('token') === FINNHUB_TEST_TOKEN ? undefined : 401),
      onConnect: (client) => fake!.subscriptions.set(client, new Set()),
      onText: (client, text) => {
        let message: { type?: unknown; symbol?: unknown };
        try {
          message = JSON.parse(text) as typeof message;
        } catch {
          return;
        }
        const set = fake!.subscriptions.get(client)!;
        if (message.type === 'subscribe' && typeof message.symbol === 'string') set.add(message.symbol);
        if (message.type === 'unsubscribe' && typeof message.symbol === 'string') set.delete(message.symbol);
      },
    });
    fake = new FinnhubFake(upstream);
    return fake;
  }

  /** Symbols the newest open connection subscribed to. */
  subscribed(): Set<string> {
    const client = this.upstream.open.at(-1);
    return client === undefined ? new Set() : this.subscriptions.get(client)!;
  }

  trades(entries: readonly { s: string; p: number; v: number; t?: number }[]): void {
    for (const client of this.upstream.open) {
      const mine = entries.filter((e) => this.subscriptions.get(client)!.has(e.s));
      if (mine.length === 0) continue;
      this.upstream.send(client, { type: 'trade', data: mine.map((e) => ({ c: ['1'], t: Date.now(), ...e })) });
    }
  }

  ping(): void {
    this.upstream.broadcast({ type: 'ping' });
  }

  raw(text: string): void {
    this.upstream.broadcast(text);
  }

  close(): Promise<void> {
    return this.upstream.close();
  }
}
