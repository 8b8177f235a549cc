import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionRecord } from '../../lib/index.js';
import { createRedisLogoutBackend, redisKeys } from '../../lib/redis/index.js';
import { addressOf } from '../../lib/redis/registry-address.js';
import { keycloak26LogoutToken } from '../support/keycloak-logout-tokens.js';
import { FakeRealm } from '../support/fake-realm.js';
import type { InstanceConfig } from '../support/instance-main.js';
import { InstanceProcess } from '../support/instance-process.js';
import { keycloakAccessToken } from '../support/keycloak-access-token.js';
import { ClusterTopology } from '../support/redis-cluster-topology.js';
import { LogoutTraffic, statusesAt } from '../support/redis-logout-traffic.js';
import { checkRedisForSuite } from '../support/redis-server.js';
import { quietLogger, registerInPreviousLayout } from '../support/redis-test-helpers.js';
import { postForm } from '../support/test-app.js';
import { waitFor } from '../support/wait-for.js';

/*
 * Three app instances (separate processes) on a Redis Cluster of three masters: the log's keys
 * share one slot, the registry's spread over the shards, and the instances behave as on a
 * single node.
 */

const CLIENT = 'app-cluster';
const PREFIX = 'cluster:';
/** A fresh Node process compiles the app before it starts: seconds, a minute on a busy machine. */
const START_TIMEOUT = 90_000;
const enabled = checkRedisForSuite('Redis Cluster integration tests');

describe.skipIf(!enabled)('three instances on a Redis Cluster (separate processes)', () => {
  let cluster: ClusterTopology;
  let admin: Awaited<ReturnType<ClusterTopology['admin']>>;
  let realm: FakeRealm;
  let instances: InstanceProcess[] = [];
  let config: InstanceConfig;
  const slotOf = async (key: string) => Number(await admin.sendCommand(undefined, true, ['CLUSTER', 'KEYSLOT', key]));

  beforeAll(async () => {
    [cluster, realm] = await Promise.all([ClusterTopology.start(), FakeRealm.start()]);
    admin = await cluster.admin();
    config = { issuer: realm.issuer, clientId: CLIENT, mode: 'redis', cluster: { rootNodes: cluster.rootNodes }, keyPrefix: PREFIX };
    instances = await Promise.all([1, 2, 3].map((n) => InstanceProcess.start(`cluster-instance-${n}`, config, START_TIMEOUT)));
  }, 200_000);

  afterAll(async () => {
    await Promise.all(instances.map((instance) => instance.kill()));
    admin?.destroy();
    await realm?.close();
    await cluster?.stop();
  });

  it('a back-channel logout posted to instance 1 makes the still-valid access token return 401 on instances 2 and 3', async () => {
    const traffic = new LogoutTraffic(realm, CLIENT, 'cluster-bcl');
    const bystander = await traffic.bystander();
    const logout = await traffic.logoutAt(instances[0]!);
    expect(logout.status).toBe(200);
    expect(await instances[0]!.me(logout.token)).toBe(401);
    await waitFor(async () => (await statusesAt(instances, logout.token)).every((s) => s === 401), 'refused on 2 and 3', 2_000, 5);
    expect(await statusesAt(instances, bystander)).toEqual([200, 200, 200]);
  });

  it('the same logout token delivered to every instance of the cluster at once is accepted exactly once', async () => {
    const token = await keycloakAccessToken(realm, { clientId: CLIENT, sub: 'cluster-frank', sid: 'cluster-frank-sid' });
    const logout = await keycloak26LogoutToken({ realm, clientId: CLIENT, sid: 'cluster-frank-sid', sub: 'cluster-frank' });
    const responses = await Promise.all(instances.map((instance) => postForm(`${instance.url}/auth/backchannel-logout`, { logout_token: logout })));
    expect(responses.map((response) => response.status).sort()).toEqual([200, 400, 400]);
    await waitFor(async () => (await statusesAt(instances, token)).every((s) => s === 401), 'refused everywhere', 2_000, 5);
  });

  it('keeps the log, its epoch and its compaction lock in one slot, and the log on the shard it names', async () => {
    const keys = redisKeys(PREFIX, { cluster: true });
    const slots = new Set(await Promise.all([keys.stream, keys.epoch, keys.compaction].map(slotOf)));
    expect(slots.size).toBe(1);
    expect(await admin.exists(keys.stream)).toBe(1);
    expect(await admin.exists(keys.epoch)).toBe(1);
  });

  it('an instance started after the logouts refuses the revoked tokens from its first request', async () => {
    const traffic = new LogoutTraffic(realm, CLIENT, 'cluster-late');
    const logouts = [await traffic.logoutAt(instances[1]!), await traffic.logoutAt(instances[2]!)];
    const late = await InstanceProcess.start('cluster-instance-4', config, START_TIMEOUT);
    instances.push(late);
    for (const logout of logouts) expect(await late.me(logout.token)).toBe(401);
    expect(await late.me(await traffic.bystander())).toBe(200);
    expect((await late.health()).state).toBe('fresh');
  }, 120_000);

  it('the registry works across slots: a user\'s records and index lines spread over shards, lookups, the per-user cap and removal', async () => {
    const backend = createRedisLogoutBackend({ cluster: { rootNodes: cluster.rootNodes }, keyPrefix: PREFIX, maxSessionsPerUser: 3, logger: quietLogger() });
    const registry = backend.sessionRegistry;
    const keys = redisKeys(PREFIX, { cluster: true });
    const bucketOf = (name: string) => keys.registryBucket(addressOf(name).bucket);
    const listed = async (kind: 's' | 'u', id: string) => ((await admin.get(bucketOf(kind + id))) ?? '').split('\n').filter((line) => line.startsWith(`i${addressOf(kind + id).fingerprint}`));
    const now = Math.floor(Date.now() / 1000);
    const session = (n: number): SessionRecord => ({
      adapterSessionId: `cluster-browser-${n}`,
      sid: `cluster-kc-sid-${n}`,
      sub: 'cluster-zoe',
      clientId: CLIENT,
      issuedAt: now,
      expiresAt: now + 600 + n,
    });
    try {
      for (let n = 1; n <= 5; n += 1) await registry.register(session(n));
      const touched = [bucketOf('ucluster-zoe'), ...[1, 2, 3, 4, 5].flatMap((n) => [bucketOf(`acluster-browser-${n}`), bucketOf(`scluster-kc-sid-${n}`)])];
      // Otherwise the test would not reach what a single node never refuses: commands across slots.
      expect(new Set(await Promise.all(touched.map(slotOf))).size).toBeGreaterThan(3);

      // The cap keeps the 3 sessions that expire last; the 2 others left the registry, index lines included.
      expect((await registry.findBySubject('cluster-zoe')).map((r) => r.adapterSessionId).sort()).toEqual(['cluster-browser-3', 'cluster-browser-4', 'cluster-browser-5']);
      expect(await registry.findBySid('cluster-kc-sid-1')).toEqual([]);
      expect((await admin.get(bucketOf('acluster-browser-1'))) ?? '').not.toContain('acluster-browser-1 ');
      expect(await listed('s', 'cluster-kc-sid-1')).toEqual([]);
      expect(await listed('u', 'cluster-zoe')).toHaveLength(3);
      expect(await registry.findBySid('cluster-kc-sid-4')).toEqual([session(4)]);
      expect(await registry.findByAdapterSessionId('cluster-browser-5')).toEqual(session(5));

      await registry.remove(session(4));
      expect(await registry.findBySid('cluster-kc-sid-4')).toEqual([]);
      expect((await registry.findBySubject('cluster-zoe')).map((r) => r.adapterSessionId).sort()).toEqual(['cluster-browser-3', 'cluster-browser-5']);
      expect(await listed('s', 'cluster-kc-sid-4')).toEqual([]);

      // A session an instance of the previous layout registered: its record and indexes in yet other slots.
      const previous = { ...session(6), sub: 'cluster-yann' };
      await registerInPreviousLayout(admin, PREFIX, previous);
      expect(await registry.findBySid('cluster-kc-sid-6')).toEqual([previous]);
      expect(await registry.findBySubject('cluster-yann')).toEqual([previous]);
      await registry.remove(previous);
      expect(await registry.findByAdapterSessionId('cluster-browser-6')).toBeUndefined();
      expect(await admin.exists(keys.record('a:cluster-browser-6'))).toBe(0);
    } finally {
      await backend.close();
    }
  });
});
