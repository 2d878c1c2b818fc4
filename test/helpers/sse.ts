// A minimal SSE reader for tests: fetch()es a stream and hands out its events one by one.
import { Inbox } from './inbox.js';

export interface SseEvent {
  event: string;
  id?: string;
  data: string;
}

export interface SseStream {
  readonly status: number;
  readonly headers: Headers;
  next(predicate?: (e: SseEvent) => boolean, timeoutMs?: number): Promise<SseEvent>;
  /** Parsed `data` of the next default event matching `type`. */
  nextMessage(type: string, timeoutMs?: number): Promise<{ id?: string; message: Record<string, unknown> }>;
  close(): void;
}

export async function openSse(url: string, headers: Record<string, string> = {}): Promise<SseStream> {
  const controller = new AbortController();
  const res = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: controller.signal });
  const inbox = new Inbox<SseEvent>();
  if (res.body !== null && res.status === 200) {
    void (async () => {
      const decoder = new TextDecoder();
      let buffer = '';
      try {
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          buffer += decoder.decode(chunk, { stream: true });
          let end: number;
          while ((end = buffer.indexOf('\n\n')) !== -1) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const event: SseEvent = { event: 'message', data: '' };
            const data: string[] = [];
            for (const line of block.split('\n')) {
              const colon = line.indexOf(':');
              const field = colon === -1 ? line : line.slice(0, colon);
              const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
              if (field === 'event') event.event = value;
              else if (field === 'id') event.id = value;
              else if (field === 'data') data.push(value);
            }
            if (data.length === 0) continue; // retry: lines and comments
            event.data = data.join('\n');
            inbox.push(event);
          }
        }
      } catch {
        // aborted by close()
      }
      inbox.end(() => 'the SSE stream ended');
    })();
  }
  const next = (predicate: (e: SseEvent) => boolean = () => true, timeoutMs = 5_000): Promise<SseEvent> =>
    inbox.next(predicate, timeoutMs, () => `timed out after ${timeoutMs} ms waiting for an SSE event`);
  return {
    status: res.status,
    headers: res.headers,
    next,
    async nextMessage(type, timeoutMs) {
      const e = await next((x) => x.event === 'message' && (JSON.parse(x.data) as { type: string }).type === type, timeoutMs);
      return { ...(e.id !== undefined ? { id: e.id } : {}), message: JSON.parse(e.data) as Record<string, unknown> };
    },
    close: () => controller.abort(),
  };
}
