/**
 * A minimal in-memory publish/subscribe channel for subscription resolvers in tests: each
 * `subscribe()` is an async iterator of what is published from then on, and counts as a
 * listener until it is returned (so tests can prove nothing is left subscribed).
 */
export class EventChannel<T> {
  private readonly listeners = new Set<(value: T) => void>();

  get listenerCount(): number {
    return this.listeners.size;
  }

  publish(value: T): void {
    for (const listener of this.listeners) listener(value);
  }

  /** The events published from now on, each passed through `map`. */
  subscribe<R = T>(map: (value: T) => R = (value) => value as unknown as R): AsyncIterableIterator<R> {
    const queue: R[] = [];
    let waiting: ((result: IteratorResult<R>) => void) | undefined;
    const listener = (event: T) => {
      const value = map(event);
      if (waiting === undefined) return void queue.push(value);
      const resolve = waiting;
      waiting = undefined;
      resolve({ value, done: false });
    };
    this.listeners.add(listener);
    const done = (): IteratorResult<R> => {
      this.listeners.delete(listener);
      waiting?.({ value: undefined, done: true });
      waiting = undefined;
      return { value: undefined, done: true };
    };
    return {
      next: () => {
        if (queue.length > 0) return Promise.resolve({ value: queue.shift() as R, done: false });
        if (!this.listeners.has(listener)) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => {
          waiting = resolve;
        });
      },
      return: () => Promise.resolve(done()),
      throw: (error?: unknown) => {
        done();
        return Promise.reject(error instanceof Error ? error : new Error(String(error)));
      },
      [Symbol.asyncIterator]() {
        return this;
      },
    };
  }
}
