/**
 * A subscription's event stream that a logout can end: it passes the source's events through
 * until `end(error)` is called, then yields one last event that fails with `error` when GraphQL
 * resolves it (so the client receives a `next` with that error), and completes. Ending it, or
 * the client completing the subscription, returns the source (releasing its PubSub listener).
 */
export interface EndableIterator<T> {
  iterator: AsyncIterableIterator<T>;
  end(error: Error): void;
}

/**
 * The last event: every field read from it throws `error`. graphql-js executes the
 * subscription's selection with the event as root value (GraphQL spec §6.2.3.2
 * MapSourceToResponseEvent), so the default field resolver, or a `resolve` option reading it,
 * turns it into a field error carrying the error's `extensions`. `then` and symbols read as
 * undefined, so the event is not mistaken for a promise.
 */
function failingEvent(error: Error): object {
  return new Proxy(
    {},
    {
      get(_target, property) {
        if (typeof property === 'symbol' || property === 'then' || property === 'toJSON') return undefined;
        throw error;
      },
    },
  );
}

function iteratorOf<T>(source: AsyncIterable<T> | AsyncIterator<T>): AsyncIterator<T> {
  const factory = (source as Partial<AsyncIterable<T>>)[Symbol.asyncIterator];
  return typeof factory === 'function' ? factory.call(source) : (source as AsyncIterator<T>);
}

/** Whether a resolver's result is an event stream this library can wrap. */
export function isEventStream(value: unknown): value is AsyncIterable<unknown> | AsyncIterator<unknown> {
  if (typeof value !== 'object' || value === null) return false;
  return typeof (value as Partial<AsyncIterable<unknown>>)[Symbol.asyncIterator] === 'function' || typeof (value as Partial<AsyncIterator<unknown>>).next === 'function';
}

/**
 * @param isRevoked checked before each event is passed on, so that an event published between a
 *   logout and its arrival on this instance is not delivered to a session known to be revoked.
 * @param revokedError the error of a subscription found revoked that way.
 * @param onFinish called once the stream has ended, however it ended.
 */
export function endableIterator<T>(
  source: AsyncIterable<T> | AsyncIterator<T>,
  options: { isRevoked: () => boolean; revokedError: () => Error; onFinish: () => void },
): EndableIterator<T> {
  const inner = iteratorOf(source);
  let endedWith: Error | undefined;
  let finished = false;
  let wake: () => void = () => undefined;
  const ended = new Promise<'ended'>((resolve) => {
    wake = () => resolve('ended');
  });

  const finish = async (): Promise<IteratorResult<T>> => {
    if (!finished) {
      finished = true;
      options.onFinish();
      await inner.return?.().catch(() => undefined);
    }
    return { value: undefined, done: true };
  };

  const lastEvent = (error: Error): IteratorResult<T> => {
    void finish();
    return { value: failingEvent(error) as T, done: false };
  };

  const iterator: AsyncIterableIterator<T> = {
    async next() {
      if (finished) return { value: undefined, done: true };
      if (endedWith !== undefined) return lastEvent(endedWith);
      const result = await Promise.race([inner.next(), ended]);
      if (result === 'ended') return lastEvent(endedWith ?? options.revokedError());
      if (result.done === true) return finish();
      if (options.isRevoked()) return lastEvent(options.revokedError());
      return result;
    },
    return() {
      return finish();
    },
    async throw(error?: unknown) {
      await finish();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };

  return {
    iterator,
    end(error: Error) {
      if (finished || endedWith !== undefined) return;
      endedWith = error;
      wake();
    },
  };
}
