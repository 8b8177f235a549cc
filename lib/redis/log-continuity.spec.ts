import { describe, expect, it } from 'vitest';
import { LogContinuity } from './log-continuity.js';
import type { RedisLink } from './redis-link.js';

/** A Redis as LogContinuity sees it: an epoch key, a stream's last generated id, a server's run_id. */
function fakeRedis(state: { epoch: string | undefined; lastGenerated: string | undefined; runId: string }): RedisLink {
  const redis = {
    set: (_key: string, value: string) => {
      state.epoch ??= value;
      return Promise.resolve('OK');
    },
    get: () => Promise.resolve(state.epoch ?? null),
    xInfoStream: () =>
      state.lastGenerated === undefined
        ? Promise.reject(new Error('ERR no such key'))
        : Promise.resolve({ 'last-generated-id': state.lastGenerated }),
  };
  return { redis, serverId: () => Promise.resolve(state.runId) } as unknown as RedisLink;
}

const keys = { stream: 'kl:revocations', epoch: 'kl:epoch' };

describe('LogContinuity', () => {
  it('finds nothing lost at the first check, nor on a reconnection to the same server that holds the whole log', async () => {
    const state = { epoch: 'e1', lastGenerated: '100-0', runId: 'server-a' };
    const continuity = new LogContinuity(keys);
    expect(continuity.firstCheck).toBe(true);
    expect(await continuity.lossSince(fakeRedis(state), '0-0')).toBeUndefined();
    expect(continuity.firstCheck).toBe(false);
    expect(await continuity.lossSince(fakeRedis(state), '100-0')).toBeUndefined();
  });

  it('reports a lost log when the epoch changed (Redis restarted empty)', async () => {
    const state = { epoch: 'e1' as string | undefined, lastGenerated: '100-0', runId: 'server-a' };
    const continuity = new LogContinuity(keys);
    await continuity.lossSince(fakeRedis(state), '0-0');
    state.epoch = undefined;
    expect(await continuity.lossSince(fakeRedis(state), '100-0')).toMatch(/revocation log was lost/);
  });

  it('reports a log behind the last entry applied here, or gone', async () => {
    const state = { epoch: 'e1', lastGenerated: '90-0' as string | undefined, runId: 'server-a' };
    const continuity = new LogContinuity(keys);
    await continuity.lossSince(fakeRedis(state), '0-0');
    expect(await continuity.lossSince(fakeRedis(state), '100-0')).toMatch(/behind this instance/);
    state.lastGenerated = undefined;
    expect(await continuity.lossSince(fakeRedis(state), '100-0')).toMatch(/behind this instance/);
  });

  it('reports a possible loss when another server holds the log, even after entries written there carried its last id past ours', async () => {
    // A failover: the promoted replica has the epoch, lacks the tail up to 100-0, and has
    // taken new entries since (120-0), so its last id alone hides the gap.
    const state = { epoch: 'e1', lastGenerated: '100-0', runId: 'old-master' };
    const continuity = new LogContinuity(keys);
    await continuity.lossSince(fakeRedis(state), '0-0');
    state.runId = 'promoted-replica';
    state.lastGenerated = '120-0';
    expect(await continuity.lossSince(fakeRedis(state), '100-0')).toMatch(/another Redis server holds the revocation log now/);
    // Checked once: the same server on the next reconnection is no loss.
    expect(await continuity.lossSince(fakeRedis(state), '120-0')).toBeUndefined();
  });
});
