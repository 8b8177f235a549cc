/**
 * A subscription's event stream that a logout can end: it passes the source's events through
 * until `end(error)` is called, then the pending (or next) `next()` rejects with `error`, and the
 * stream is done. Ending it, or the client completing the subscription, returns the source
 * (releasing its PubSub listener).
 *
 * Why a rejection, and not a last event whose fields throw: a rejection passes unchanged through
 * every wrapper between this stream and the transport (Nest's `filter` option, Mercurius'
 * `withFilter`, graphql-js' MapSourceToResponseEvent), where a last event would be dropped by a
 * filter, or delivered as data by a `resolve` that does not read it. graphql-ws 6 (the major
 * @nestjs/graphql 14 ships; from 6.0 a failing event stream is reported, before it closed the
 * socket) and Mercurius answer a rejected event stream with an `error` message for that one
 * operation, carrying the error's `extensions` (`code: UNAUTHENTICATED`); the socket and its
 * other subscriptions stay open.
 */
export interface EndableIterator<T> {
  iterator: AsyncIterableIterator<T>;
  end(error: Error): void;
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
  /** Whether the error has been thrown to the consumer: after that, the stream is simply done. */
  let errorDelivered = false;
  let finished = false;
  let wake: () => void = () => undefined;
  const ended = new Promise<'ended'>((resolve) => {
    wake = () => resolve('ended');
  });
  const finish = async (): Promise<IteratorResult<T>> => {
    if (!finished) {
      finished = true;
      options.onFinish();
      try {
        await inner.return?.();
      } catch {
        // The source's own clean-up failed: nothing the client needs to hear about.
      }
    }
    return { value: undefined, done: true };
  };
  const fail = (error: Error): Promise<never> => {
    errorDelivered = true;
    // Not awaited: a source whose return() waits for more input (a stream queue) must not hold back the error.
    void finish();
    return Promise.reject(error);
  };
  const iterator: AsyncIterableIterator<T> = {
    async next() {
      if (endedWith !== undefined && !errorDelivered) return fail(endedWith);
      if (finished) return { value: undefined, done: true };
      const result = await Promise.race([inner.next(), ended]);
      if (result === 'ended') return fail(endedWith ?? options.revokedError());
      if (result.done === true) return finish();
      if (options.isRevoked()) return fail(options.revokedError());
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
