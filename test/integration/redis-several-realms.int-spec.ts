import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keycloak26LogoutToken } from '../support/keycloak-logout-tokens.js';
import { nowSeconds } from '../support/clock.js';
import type { FakeRealm } from '../support/fake-realm.js';
import { startRealmWithOwnKey } from '../support/realm-with-own-key.js';
import type { InstanceConfig } from '../support/instance-main.js';
import { InstanceProcess } from '../support/instance-process.js';
import { keycloakAccessToken } from '../support/keycloak-access-token.js';
import { keycloakPushNotBeforeAction, postAdminAction } from '../support/keycloak-admin-actions.js';
import { checkRedisForSuite, RedisServer } from '../support/redis-server.js';
import { postForm } from '../support/test-app.js';
import { waitFor } from '../support/wait-for.js';

const DEMO_CLIENT = 'app-demo';
const PARTNER_CLIENT = 'app-partners';
const enabled = checkRedisForSuite('Redis several-realms integration tests');

/*
 * Two app instances (separate processes) on one private redis-server, both accepting two
 * realms: a revocation of the `partners` realm reaches the other instance through the shared
 * log and stays in its realm; the primary realm's entries keep the wire format of one realm.
 */
describe.skipIf(!enabled)('several realms on two instances sharing Redis', () => {
  let redis: RedisServer;
  let demo: FakeRealm;
  let partners: FakeRealm;
  let instances: InstanceProcess[] = [];
  let counter = 0;
  const newSid = () => `realms-sid-${++counter}`;
  const statuses = (token: string) => Promise.all(instances.map((instance) => instance.me(token)));

  beforeAll(async () => {
    [redis, demo, partners] = await Promise.all([RedisServer.start(), startRealmWithOwnKey('demo', 'demo-key'), startRealmWithOwnKey('partners', 'partners-key')]);
    const config: InstanceConfig = {
      issuer: demo.issuer,
      clientId: DEMO_CLIENT,
      realms: [{ name: 'partners', issuer: partners.issuer, clientId: PARTNER_CLIENT }],
      mode: 'redis',
      redisUrl: redis.url,
      keyPrefix: 'realms:',
    };
    instances = await Promise.all([1, 2].map((n) => InstanceProcess.start(`realms-${n}`, config)));
  });
  afterAll(async () => {
    await Promise.all(instances.map((instance) => instance.kill()));
    await demo?.close();
    await partners?.close();
    await redis?.stop();
  });

  /** Every revocation of the shared log, as the instances wrote it. */
  async function logged(): Promise<Array<Record<string, unknown>>> {
    const admin = createClient({ url: redis.url });
    await admin.connect();
    try {
      const entries = await admin.xRange('realms:revocations', '-', '+');
      return entries.flatMap((entry) => JSON.parse(entry.message.r!) as Array<Record<string, unknown>>);
    } finally {
      await admin.close();
    }
  }

  it('a partners back-channel logout at instance 1 refuses the partners token on instance 2, and not the demo token with the same sid', async () => {
    const sid = newSid();
    const fromDemo = await keycloakAccessToken(demo, { clientId: DEMO_CLIENT, sub: 'alice', sid });
    const fromPartners = await keycloakAccessToken(partners, { clientId: PARTNER_CLIENT, sub: 'alice', sid });
    expect([...(await statuses(fromDemo)), ...(await statuses(fromPartners))]).toEqual([200, 200, 200, 200]);

    const logout = await keycloak26LogoutToken({ realm: partners, clientId: PARTNER_CLIENT, sid, sub: 'alice' });
    expect((await postForm(`${instances[0]!.url}/auth/realms/partners/backchannel-logout`, { logout_token: logout })).status).toBe(200);
    await waitFor(async () => (await statuses(fromPartners)).every((status) => status === 401), 'partners token refused on both', 2_000, 5);
    expect(await statuses(fromDemo)).toEqual([200, 200]);

    const revocations = await logged();
    expect(revocations).toContainEqual(expect.objectContaining({ type: 'sid', sid, issuer: partners.issuer }));
    expect(revocations.filter((r) => r.sid === sid)).toHaveLength(1);
  });

  it('a partners k_push_not_before at instance 2 reaches instance 1 and leaves demo tokens of the same age alone', async () => {
    const iat = nowSeconds() - 30;
    const fromDemo = await keycloakAccessToken(demo, { clientId: DEMO_CLIENT, sub: 'bob', sid: newSid(), iat });
    const fromPartners = await keycloakAccessToken(partners, { clientId: PARTNER_CLIENT, sub: 'bob', sid: newSid(), iat });
    const push = await keycloakPushNotBeforeAction({ realm: partners, clientId: PARTNER_CLIENT, notBefore: nowSeconds() - 10 });
    expect((await postAdminAction(`${instances[1]!.url}/auth/realms/partners/k_push_not_before`, push)).status).toBe(200);
    await waitFor(async () => (await statuses(fromPartners)).every((status) => status === 401), 'partners not-before on both', 2_000, 5);
    expect(await statuses(fromDemo)).toEqual([200, 200]);
  });

  it('a demo logout is written as a single-realm app writes it (no issuer), and leaves partners tokens alone', async () => {
    const sid = newSid();
    const fromDemo = await keycloakAccessToken(demo, { clientId: DEMO_CLIENT, sub: 'carol', sid });
    const fromPartners = await keycloakAccessToken(partners, { clientId: PARTNER_CLIENT, sub: 'carol', sid, iat: nowSeconds() });
    const logout = await keycloak26LogoutToken({ realm: demo, clientId: DEMO_CLIENT, sid, sub: 'carol' });
    expect((await postForm(`${instances[1]!.url}/auth/backchannel-logout`, { logout_token: logout })).status).toBe(200);
    await waitFor(async () => (await statuses(fromDemo)).every((status) => status === 401), 'demo token refused on both', 2_000, 5);
    expect(await statuses(fromPartners)).toEqual([200, 200]);
    const written = (await logged()).find((r) => r.sid === sid);
    expect(written).toBeDefined();
    expect(written).not.toHaveProperty('issuer');
  });
});
