import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createRedisLogoutBackend, type RedisLogoutBackend, type RedisLogoutBackendOptions } from '../../lib/redis/index.js';
import { checkRedisForSuite, RedisServer } from '../support/redis-server.js';
import { quietLogger, sidRevocation } from '../support/redis-test-helpers.js';

/* Many writes waiting for a Redis connection that is not ready yet. */

const enabled = checkRedisForSuite('Redis waiting-writes tests');
const WRITES = 50;

describe.skipIf(!enabled)('writes waiting for the Redis connection', () => {
  let redis: RedisServer;
  const open: RedisLogoutBackend[] = [];
  const warnings: Error[] = [];
  const onWarning = (warning: Error) => warnings.push(warning);

  function backend(options: Partial<RedisLogoutBackendOptions>): RedisLogoutBackend {
    const created = createRedisLogoutBackend({ url: redis.url, logger: quietLogger(), ...options });
    open.push(created);
    return created;
  }

  /** Half registrations, half publishes, all at once. */
  function fireWrites(target: RedisLogoutBackend): Array<Promise<void>> {
    const now = Math.floor(Date.now() / 1000);
    return Array.from({ length: WRITES }, (_, i) =>
      i % 2
        ? target.sessionRegistry.register({ adapterSessionId: `w-${i}`, sid: `w-sid-${i}`, sub: 'waiting', clientId: 'app', issuedAt: now, expiresAt: now + 600 })
        : target.revocationBus.publish([sidRevocation(`w-${i}`)]),
    );
  }

  const listenerWarnings = () => warnings.filter((warning) => warning.name === 'MaxListenersExceededWarning').map((warning) => warning.message);

  beforeAll(async () => {
    redis = await RedisServer.start();
    process.on('warning', onWarning);
  });

  afterEach(async () => {
    await Promise.all(open.splice(0).map((b) => b.close()));
    warnings.length = 0;
  });

  afterAll(async () => {
    process.off('warning', onWarning);
    await redis?.stop();
  });

  it(`${WRITES} writes made before the first connection is ready all complete, without a MaxListenersExceededWarning`, async () => {
    const target = backend({ keyPrefix: 'waiting-first:' });
    await Promise.all(fireWrites(target));
    // Warnings are emitted on a later tick.
    await new Promise((resolve) => setImmediate(resolve));
    expect(listenerWarnings()).toEqual([]);
    expect(await target.sessionRegistry.findBySubject('waiting')).toHaveLength(WRITES / 2);
  });

  it(`${WRITES} writes made while Redis is down complete once it is back, without a MaxListenersExceededWarning`, async () => {
    const server = await RedisServer.start();
    try {
      const target = createRedisLogoutBackend({ url: server.url, keyPrefix: 'waiting-back:', commandTimeout: 10_000, maxReconnectDelay: 50, logger: quietLogger() });
      open.push(target);
      await server.stop();
      const writes = fireWrites(target);
      await server.restart();
      await Promise.all(writes);
      await new Promise((resolve) => setImmediate(resolve));
      expect(listenerWarnings()).toEqual([]);
      expect(await target.sessionRegistry.findBySubject('waiting')).toHaveLength(WRITES / 2);
    } finally {
      await server.stop();
    }
  });

  it(`${WRITES} writes made while Redis never comes fail with the documented errors, without a MaxListenersExceededWarning`, async () => {
    const server = await RedisServer.start();
    await server.stop();
    const target = createRedisLogoutBackend({ url: server.url, keyPrefix: 'waiting-never:', commandTimeout: 200, logger: quietLogger() });
    open.push(target);
    const results = await Promise.allSettled(fireWrites(target));
    await new Promise((resolve) => setImmediate(resolve));
    expect(listenerWarnings()).toEqual([]);
    const reasons = results.map((result) => (result.status === 'rejected' ? String((result.reason as Error).message) : 'fulfilled'));
    expect(reasons.filter((reason, i) => i % 2 === 1 && reason === 'the session registry cannot reach Redis')).toHaveLength(WRITES / 2);
    expect(reasons.filter((reason, i) => i % 2 === 0 && reason.startsWith('Redis is unreachable: the revocation is enforced on this instance'))).toHaveLength(WRITES / 2);
  });
});
