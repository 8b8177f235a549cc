import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keycloak26LogoutToken } from '../support/keycloak-logout-tokens.js';
import { FakeRealm } from '../support/fake-realm.js';
import type { InstanceConfig } from '../support/instance-main.js';
import { InstanceProcess } from '../support/instance-process.js';
import { keycloakAccessToken } from '../support/keycloak-access-token.js';
import { checkRedisForSuite, RedisServer } from '../support/redis-server.js';
import { postForm } from '../support/test-app.js';
import { waitFor } from '../support/wait-for.js';

/*
 * Redis goes away while a logout arrives, then comes back empty (it persists nothing, like a
 * cache-only Redis restarted): every instance must end up refusing the revoked token, and none
 * may accept it in between while the policy is "refuse".
 */

const CLIENT = 'app-outage';
// Generous enough that a starved process on a busy CI machine is not stale before the outage starts.
const MAX_STALENESS = 1_200;
const enabled = checkRedisForSuite('Redis outage integration tests');

describe.skipIf(!enabled)('Redis outage while a logout arrives (separate processes)', () => {
  let redis: RedisServer;
  let realm: FakeRealm;
  let instances: InstanceProcess[] = [];
  let config: InstanceConfig;

  beforeAll(async () => {
    [redis, realm] = await Promise.all([RedisServer.start(), FakeRealm.start()]);
    config = {
      issuer: realm.issuer,
      clientId: CLIENT,
      mode: 'redis',
      redisUrl: redis.url,
      keyPrefix: 'outage:',
      maxStaleness: MAX_STALENESS,
      maxReconnectDelay: 100,
    };
    instances = await Promise.all([1, 2, 3].map((n) => InstanceProcess.start(`instance-${n}`, config)));
  });

  afterAll(async () => {
    await Promise.all(instances.map((instance) => instance.kill()));
    await realm?.close();
    await redis?.stop();
  });

  it('a logout received during the outage is refused everywhere after recovery, and accepted nowhere in between', async () => {
    const statuses = (token: string) => Promise.all(instances.map((instance) => instance.me(token)));
    // Revoked before the outage: Redis will lose it, the instances must not.
    const earlierSid = 'outage-earlier';
    const earlier = await keycloakAccessToken(realm, { clientId: CLIENT, sub: 'ivan', sid: earlierSid });
    const bcl = (instance: InstanceProcess, sid: string, sub: string) =>
      keycloak26LogoutToken({ realm, clientId: CLIENT, sid, sub }).then((logout) =>
        postForm(`${instance.url}/auth/backchannel-logout`, { logout_token: logout }),
      );
    expect((await bcl(instances[1]!, earlierSid, 'ivan')).status).toBe(200);
    await waitFor(async () => (await statuses(earlier)).every((s) => s === 401), 'earlier logout everywhere', 2_000);

    const sid = 'outage-victim';
    const victim = await keycloakAccessToken(realm, { clientId: CLIENT, sub: 'judy', sid });
    const bystander = await keycloakAccessToken(realm, { clientId: CLIENT, sub: 'ken', sid: 'outage-bystander' });
    expect(await statuses(victim)).toEqual([200, 200, 200]);

    await redis.stop();
    await waitFor(async () => (await Promise.all(instances.map((i) => i.health()))).every((h) => h.stale), 'every view stale', 5_000);
    // Stale + policy "refuse": every guarded request is refused with a clear 503.
    const refused = await fetch(`${instances[2]!.url}/api/me`, { headers: { authorization: `Bearer ${bystander}` } });
    expect(refused.status).toBe(503);
    expect(await refused.json()).toMatchObject({ error: 'temporarily_unavailable', error_description: expect.stringMatching(/stale/) });

    // The logout arrives at instance 1 while Redis is down: enforced there, queued for the
    // others, and the OP is told it did not fully succeed.
    const during = await bcl(instances[0]!, sid, 'judy');
    expect(during.status).toBeGreaterThanOrEqual(400);
    expect(((await during.json()) as { error_description: string }).error_description).toMatch(/Redis is unreachable/);
    expect((await instances[0]!.health()).unsharedRevocations).toBe(1);

    // Watch the victim's token on every instance from now until after recovery.
    const seen: number[] = [];
    let watching = true;
    const watcher = (async () => {
      while (watching) seen.push(...(await statuses(victim)));
    })();

    await redis.restart();
    try {
      await waitFor(
        async () => (await Promise.all(instances.map((i) => i.health()))).every((h) => h.state === 'fresh' && h.unsharedRevocations === 0),
        'every instance fresh again with nothing left unshared',
        10_000,
      );
      await waitFor(async () => (await statuses(victim)).every((s) => s === 401), 'victim refused everywhere', 2_000);
    } finally {
      watching = false;
      await watcher;
    }
    expect(seen.length).toBeGreaterThan(0);
    expect(seen).not.toContain(200);
    expect(new Set(seen)).toEqual(new Set(seen.filter((s) => s === 401 || s === 503)));
    expect(await statuses(bystander)).toEqual([200, 200, 200]);
    expect(await statuses(earlier)).toEqual([401, 401, 401]);

    // Each state change was logged (at start, at the outage, at recovery; a starved CPU may add a flip).
    for (const instance of instances) {
      expect(instance.logs).toMatch(/revocation view is STALE/);
      expect(instance.logs).toMatch(/revocation log was lost/);
      expect(instance.logs.match(/revocation view is fresh/g)?.length).toBeGreaterThanOrEqual(2);
    }
    expect(instances[0]!.logs).toMatch(/wrote 1 revocation\(s\) made while Redis was unreachable/);

    // Redis came back empty; the survivors re-published what they knew, so an instance that
    // starts now still refuses the logout made before the outage.
    const late = await InstanceProcess.start('instance-4', config);
    instances.push(late);
    expect(await late.me(earlier)).toBe(401);
    expect(await late.me(victim)).toBe(401);
    expect(await late.me(bystander)).toBe(200);
  });
});
