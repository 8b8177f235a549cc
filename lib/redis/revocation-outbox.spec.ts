import { describe, expect, it } from 'vitest';
import type { Revocation } from '../revocation/revocation.interface.js';
import { RevocationOutbox } from './revocation-outbox.js';

const NOW = 1_700_000_000_000;

function sid(name: string, expiresAt = NOW + 60_000): Revocation {
  return { type: 'sid', sid: name, id: `id-${name}`, source: 'api', revokedAt: NOW, expiresAt };
}

const names = (batch: Revocation[]) => batch.map((revocation) => (revocation.type === 'sid' ? revocation.sid : revocation.type));

/** A write that records what it was given and fails while `failing` is set. */
function recorder() {
  const written: string[][] = [];
  const state = { failing: false };
  const write = (batch: Revocation[]) => {
    if (state.failing) return Promise.reject(new Error('Redis is not reachable'));
    written.push(names(batch));
    return Promise.resolve();
  };
  return { written, state, write };
}

describe('RevocationOutbox', () => {
  it('counts what waits, and writes it batch by batch, oldest first, then holds nothing', async () => {
    const outbox = new RevocationOutbox();
    expect(outbox.needsFlush).toBe(false);
    const first = [sid('a'), sid('b')];
    outbox.add(first);
    outbox.add([sid('c')]);
    // A copy: the caller's array is not the outbox's.
    first.pop();
    expect(outbox.size).toBe(3);
    expect(outbox.needsFlush).toBe(true);

    const { written, write } = recorder();
    expect(await outbox.flush(write, () => NOW)).toBe(3);
    expect(written).toEqual([['a', 'b'], ['c']]);
    expect(outbox.size).toBe(0);
    expect(outbox.needsFlush).toBe(false);
  });

  it('writes no expired revocation, and drops a batch that has nothing live without writing it', async () => {
    const outbox = new RevocationOutbox();
    outbox.add([sid('gone', NOW), sid('live')]);
    outbox.add([sid('gone-too', NOW - 1)]);
    const { written, write } = recorder();
    expect(await outbox.flush(write, () => NOW)).toBe(1);
    expect(written).toEqual([['live']]);
    expect(outbox.needsFlush).toBe(false);
  });

  it('keeps a batch whose write failed, and the later ones, for the next flush', async () => {
    const outbox = new RevocationOutbox();
    outbox.add([sid('a')]);
    outbox.add([sid('b')]);
    const { written, state, write } = recorder();
    state.failing = true;
    await expect(outbox.flush(write, () => NOW)).rejects.toThrow('Redis is not reachable');
    expect(outbox.size).toBe(2);

    state.failing = false;
    expect(await outbox.flush(write, () => NOW)).toBe(2);
    expect(written).toEqual([['a'], ['b']]);
  });

  it('writes batches added while it flushes in the same flush', async () => {
    const outbox = new RevocationOutbox();
    outbox.add([sid('a')]);
    const written: string[][] = [];
    const write = (batch: Revocation[]) => {
      written.push(names(batch));
      if (written.length === 1) outbox.add([sid('added-meanwhile')]);
      return Promise.resolve();
    };
    expect(await outbox.flush(write, () => NOW)).toBe(2);
    expect(written).toEqual([['a'], ['added-meanwhile']]);
  });

  it('prune() drops expired revocations in place, so that a flush under way removes the batch it wrote, not the next one', async () => {
    const outbox = new RevocationOutbox();
    outbox.add([sid('brief', NOW + 10), sid('live')]);
    outbox.add([sid('brief-2', NOW + 10)]);
    outbox.add([sid('next')]);
    const written: string[][] = [];
    const write = (batch: Revocation[]) => {
      written.push(names(batch));
      // The periodic trim runs while the first write waits for Redis.
      if (written.length === 1) outbox.prune(NOW + 10);
      return Promise.resolve();
    };
    expect(await outbox.flush(write, () => NOW)).toBe(3);
    expect(written).toEqual([['brief', 'live'], ['next']]);
  });

  it('prune() alone leaves the emptied batches for the next flush to drop', async () => {
    const outbox = new RevocationOutbox();
    outbox.add([sid('brief', NOW + 10)]);
    outbox.prune(NOW + 10);
    expect(outbox.size).toBe(0);
    expect(outbox.needsFlush).toBe(true);
    const { written, write } = recorder();
    expect(await outbox.flush(write, () => NOW + 10)).toBe(0);
    expect(written).toEqual([]);
    expect(outbox.needsFlush).toBe(false);
  });
});
