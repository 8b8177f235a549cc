import { describe, expect, it } from 'vitest';
import { endableIterator } from './logout-aware-iterator.js';

/** A source that yields what is pushed, and records whether it was returned. */
function source() {
  const pending: Array<(result: IteratorResult<number>) => void> = [];
  const state = { returned: false };
  const iterator: AsyncIterator<number> = {
    next: () => new Promise((resolve) => pending.push(resolve)),
    return: () => {
      state.returned = true;
      for (const resolve of pending.splice(0)) resolve({ value: undefined, done: true });
      return Promise.resolve({ value: undefined, done: true });
    },
  };
  return { iterator, state, push: (value: number) => pending.shift()?.({ value, done: false }) };
}

describe('endableIterator', () => {
  it('passes events through, then on end() rejects the pending next() with the error, returns the source, and is done', async () => {
    const { iterator, state, push } = source();
    let finished = 0;
    const error = new Error('logged out');
    const endable = endableIterator(iterator, { isRevoked: () => false, revokedError: () => new Error('other'), onFinish: () => (finished += 1) });
    const first = endable.iterator.next();
    push(1);
    expect(await first).toEqual({ value: 1, done: false });
    const pending = endable.iterator.next();
    endable.end(error);
    await expect(pending).rejects.toBe(error);
    expect(state.returned).toBe(true);
    expect(finished).toBe(1);
    expect(await endable.iterator.next()).toEqual({ value: undefined, done: true });
    endable.end(new Error('again'));
    expect(await endable.iterator.next()).toEqual({ value: undefined, done: true });
  });

  it('end() while no next() is pending: the next call rejects once, then the stream is done', async () => {
    const { iterator, state } = source();
    const error = new Error('logged out');
    const endable = endableIterator(iterator, { isRevoked: () => false, revokedError: () => new Error('other'), onFinish: () => undefined });
    endable.end(error);
    await expect(endable.iterator.next()).rejects.toBe(error);
    expect(state.returned).toBe(true);
    expect(await endable.iterator.next()).toEqual({ value: undefined, done: true });
  });

  it('an event arriving once the subject is revoked is not delivered: next() rejects with the revoked error', async () => {
    const { iterator, push, state } = source();
    let revoked = false;
    const error = new Error('revoked');
    const endable = endableIterator(iterator, { isRevoked: () => revoked, revokedError: () => error, onFinish: () => undefined });
    const next = endable.iterator.next();
    revoked = true;
    push(2);
    await expect(next).rejects.toBe(error);
    expect(state.returned).toBe(true);
    expect((await endable.iterator.next()).done).toBe(true);
  });

  it('a wrapper that drops events (a filter) still sees the rejection: the error is not an event it can drop', async () => {
    const { iterator } = source();
    const error = new Error('logged out');
    const endable = endableIterator(iterator, { isRevoked: () => false, revokedError: () => error, onFinish: () => undefined });
    // The shape of Nest's createAsyncIterator(filter): it awaits next() and filters only values.
    const filtered = async (): Promise<IteratorResult<number>> => {
      for (;;) {
        const result = await endable.iterator.next();
        if (result.done === true || result.value > 10) return result;
      }
    };
    const pending = filtered();
    endable.end(error);
    await expect(pending).rejects.toBe(error);
  });

  it('a source whose return() waits (a stream queue with nothing more to read) does not hold back the error', async () => {
    let returned = false;
    const stuck: AsyncIterator<number> = {
      next: () => new Promise(() => undefined),
      return: () => {
        returned = true;
        return new Promise(() => undefined);
      },
    };
    const error = new Error('logged out');
    const endable = endableIterator(stuck, { isRevoked: () => false, revokedError: () => error, onFinish: () => undefined });
    const pending = endable.iterator.next();
    endable.end(error);
    await expect(pending).rejects.toBe(error);
    expect(returned).toBe(true);
  });

  it('the client completing returns the source once, and a later end() changes nothing', async () => {
    const { iterator, state } = source();
    let finished = 0;
    const endable = endableIterator(iterator, { isRevoked: () => false, revokedError: () => new Error('x'), onFinish: () => (finished += 1) });
    expect(await endable.iterator.return!()).toEqual({ value: undefined, done: true });
    endable.end(new Error('late'));
    expect(await endable.iterator.next()).toEqual({ value: undefined, done: true });
    expect(state.returned).toBe(true);
    expect(finished).toBe(1);
  });
});
