import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisKeys } from '../../lib/redis/index.js';
import { FakeRealm } from '../support/fake-realm.js';
import type { InstanceConfig } from '../support/instance-main.js';
import { InstanceProcess } from '../support/instance-process.js';
import { ClusterTopology } from '../support/redis-cluster-topology.js';
import { expectFailurePolicyHeld, LogoutTraffic, probeDuringFailover, recoveryAfterKill, repeatUntilStopped, statusesAt } from '../support/redis-logout-traffic.js';
import { checkRedisForSuite } from '../support/redis-server.js';
import { waitFor } from '../support/wait-for.js';

/*
 * Three app instances (separate processes) on a Redis Cluster of three masters with a replica
 * each. The master of the revocation log's slot is killed during a stream of logouts, right
 * after it acknowledged logouts its replica never received (the replica was frozen and its
 * replication link cut): the replica, promoted by the cluster, lacks the tail of the log. The
 * instances must find the new master, put the tail back, and refuse per the failure policy meanwhile.
 */

const CLIENT = 'app-cluster-failover';
const PREFIX = 'cluster-failover:';
const MAX_STALENESS = 1_000;
/** `cluster-node-timeout` (15 s by default): a master unanswered this long is flagged as failing, then its replica takes over. */
const NODE_TIMEOUT = 2_000;
/** A fresh Node process compiles the app before it starts: seconds, a minute on a busy machine. */
const START_TIMEOUT = 90_000;
const enabled = checkRedisForSuite('Redis Cluster failover integration tests');

/** One look at an instance: its health before and after two guarded requests. */
describe.skipIf(!enabled)('three instances on a Redis Cluster with replicas, the master of the log killed (separate processes)', () => {
  let cluster: ClusterTopology;
  let realm: FakeRealm;
  let instances: InstanceProcess[] = [];
  let config: InstanceConfig;
  const logKey = redisKeys(PREFIX, { cluster: true }).stream;

  beforeAll(async () => {
    [cluster, realm] = await Promise.all([ClusterTopology.start({ replicas: 1, nodeTimeout: NODE_TIMEOUT }), FakeRealm.start()]);
    config = {
      issuer: realm.issuer,
      clientId: CLIENT,
      mode: 'redis',
      cluster: { rootNodes: cluster.rootNodes },
      keyPrefix: PREFIX,
      maxStaleness: MAX_STALENESS,
      maxReconnectDelay: 100,
    };
    instances = await Promise.all([1, 2, 3].map((n) => InstanceProcess.start(`cluster-failover-instance-${n}`, config, START_TIMEOUT)));
  }, 200_000);

  afterAll(async () => {
    await Promise.all(instances.map((instance) => instance.kill()));
    await realm?.close();
    // Resumed first: a frozen redis-server ignores nothing but SIGKILL, which stop() sends anyway.
    for (const node of cluster?.nodes ?? []) node.resume();
    await cluster?.stop();
  });

  it('after the master of the log dies with a tail its replica lacks, the instances follow the promoted replica and converge, no acknowledged logout lost, stale views refuse with 503', async () => {
    const traffic = new LogoutTraffic(realm, CLIENT, 'cluster-failover');
    const bystander = await traffic.bystander();
    let turn = 0;
    const logoutSomewhere = () => traffic.logoutAt(instances[turn++ % instances.length]!);
    for (let i = 0; i < 6; i += 1) expect((await logoutSomewhere()).status).toBe(200);
    const revoked = traffic.sent[0]!.token;
    await waitFor(async () => (await statusesAt(instances, revoked)).every((s) => s === 401), 'first logout everywhere', 2_000, 5);

    const master = (await cluster.masterOf(logKey))!;
    const [replica] = await cluster.replicasOf(master);
    expect(replica).toBeDefined();

    // Guarded requests at every instance all along, and a stream of logouts, while a node dies.
    const watch = probeDuringFailover(instances, bystander, revoked);
    const stream = repeatUntilStopped(logoutSomewhere);

    try {
      // The replica stops replicating: frozen, and its link cut by the master, so that what the
      // master acknowledges from now on does not even wait in the replica's socket.
      replica!.pause();
      await cluster.ask(master, ['CLIENT', 'KILL', 'TYPE', 'replica']);
      const acknowledgedBefore = traffic.acknowledged.length;
      await waitFor(() => traffic.acknowledged.length >= acknowledgedBefore + 3, 'three logouts acknowledged by the master alone', 5_000);
      const tail = traffic.acknowledged.slice(acknowledgedBefore);
      const masterOffset = Number(await cluster.replicationField(master, 'master_repl_offset'));
      const killedAt = Date.now();
      await master.stop();
      replica!.resume();
      // The scenario holds: the replica that will take over lacks what the master wrote last.
      expect(Number(await cluster.replicationField(replica!, 'master_repl_offset'))).toBeLessThan(masterOffset);

      await waitFor(async () => (await cluster.masterOf(logKey))?.port === replica!.port, "the replica to take over the log's slot", 30_000, 50);
      const promotedAt = Date.now();
      const { freshAt, firstAcknowledgedAfterKill } = await recoveryAfterKill(instances, traffic, stream, killedAt);

      // Every acknowledged logout is refused by every instance; one answered with an error
      // during the failover is either enforced everywhere (queued, then written to the new
      // master) or nowhere (not recorded: the OP retries). The instances agree.
      for (const logout of traffic.acknowledged) {
        await waitFor(async () => (await statusesAt(instances, logout.token)).every((s) => s === 401), 'every acknowledged logout refused everywhere', 5_000);
      }
      for (const logout of traffic.sent) expect(new Set(await statusesAt(instances, logout.token)).size).toBe(1);
      const known = (await Promise.all(instances.map((i) => i.health()))).map((h) => h.knownRevocations);
      expect(new Set(known).size).toBe(1);
      // The tail the new master lacked was written back: an instance started now refuses it too.
      const late = await InstanceProcess.start('cluster-failover-instance-late', config, START_TIMEOUT);
      instances.push(late);
      for (const logout of [...tail, ...traffic.acknowledged]) expect(await late.me(logout.token)).toBe(401);
      expect(await late.me(bystander)).toBe(200);
      expect((await late.health()).knownRevocations).toBe(known[0]);

      console.log(
        `Cluster failover (cluster-node-timeout ${NODE_TIMEOUT} ms): master of the log killed → replica promoted ${promotedAt - killedAt} ms, ` +
          `→ every instance fresh ${freshAt - killedAt} ms; first logout sent after the kill acknowledged ${firstAcknowledgedAfterKill - killedAt} ms; ` +
          `${traffic.sent.length} logouts sent, ${traffic.acknowledged.length} acknowledged, ${tail.length} in the lost tail`,
      );
    } finally {
      await Promise.all([stream.stop(), watch.stop()]);
    }

    expectFailurePolicyHeld(watch.probes);
  }, 200_000);

  it('after the failover a logout at any instance reaches the two others through the new master', async () => {
    const traffic = new LogoutTraffic(realm, CLIENT, 'cluster-after-failover');
    const current = instances.slice(0, 3);
    for (const [n, instance] of current.entries()) {
      const logout = await traffic.logoutAt(instance);
      expect(logout.status).toBe(200);
      const others = current.filter((_, i) => i !== n);
      await waitFor(async () => (await statusesAt(others, logout.token)).every((s) => s === 401), `the logout at instance ${n + 1} refused by the others`, 2_000, 5);
    }
    expect((await Promise.all(current.map((i) => i.health()))).map((h) => h.state)).toEqual(['fresh', 'fresh', 'fresh']);
  });
});
