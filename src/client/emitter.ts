/**
 * A tiny typed event emitter, so the SDK needs neither Node's EventEmitter (not in browsers) nor the
 * DOM's EventTarget (its events are untyped and not in Node's older type definitions).
 */

export type Listener<T> = (event: T) => void;

/** `Events` maps each event name to the one value its listeners receive. */
export class TypedEmitter<Events extends { [K in keyof Events]: unknown }> {
  private readonly listeners = new Map<keyof Events, Set<Listener<never>>>();

  /** Adds a listener; returns a function that removes it. */
  on<K extends keyof Events>(type: K, listener: Listener<Events[K]>): () => void {
    let set = this.listeners.get(type);
    if (set === undefined) this.listeners.set(type, (set = new Set()));
    set.add(listener as Listener<never>);
    return () => this.off(type, listener);
  }

  off<K extends keyof Events>(type: K, listener: Listener<Events[K]>): void {
    this.listeners.get(type)?.delete(listener as Listener<never>);
  }

  /** The next `type` event for which `predicate` holds (every one without a predicate). */
  next<K extends keyof Events>(type: K, predicate: (event: Events[K]) => boolean = () => true): Promise<Events[K]> {
    return new Promise<Events[K]>((resolve) => {
      const remove = this.on(type, (event) => {
        if (!predicate(event)) return;
        remove();
        resolve(event);
      });
    });
  }

  protected emit<K extends keyof Events>(type: K, event: Events[K]): void {
    const set = this.listeners.get(type);
    if (set === undefined || set.size === 0) return;
    // A copy: a listener may remove itself (next()) or others while we iterate.
    for (const listener of [...set] as Listener<Events[K]>[]) {
      try {
        listener(event);
      } catch (error) {
        // A throwing listener must not break the client's state machine (it is in the middle of
        // applying a message); report it the way EventTarget does: as an uncaught error, later.
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }
}
