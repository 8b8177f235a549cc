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
  it('passes events through, then on end() yields one event whose fields throw the error, completes and returns the source', async () => {
    const { iterator, state, push } = source();
    let finished = 0;
    const error = new Error('logged out');
    const endable = endableIterator(iterator, { isRevoked: () => false, revokedError: () => error, onFinish: () => (finished += 1) });
    const first = endable.iterator.next();
    push(1);
    expect(await first).toEqual({ value: 1, done: false });
    const pending = endable.iterator.next();
    endable.end(error);
    const last = await pending;
    expect(last.done).toBe(false);
    expect(() => (last.value as Record<string, unknown>).ticks).toThrow(error);
    // Not a thenable, so nothing awaits it by mistake.
    expect((last.value as { then?: unknown }).then).toBeUndefined();
    expect(await endable.iterator.next()).toEqual({ value: undefined, done: true });
    expect(state.returned).toBe(true);
    expect(finished).toBe(1);
  });

  it('an event arriving once the subject is revoked is replaced by the failing event', async () => {
    const { iterator, push } = source();
    let revoked = false;
    const error = new Error('revoked');
    const endable = endableIterator(iterator, { isRevoked: () => revoked, revokedError: () => error, onFinish: () => undefined });
    const next = endable.iterator.next();
    revoked = true;
    push(2);
    const result = await next;
    expect(() => (result.value as Record<string, unknown>).n).toThrow(error);
    expect((await endable.iterator.next()).done).toBe(true);
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
