import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeRealm } from '../support/fake-realm.js';
import type { InstanceConfig } from '../support/instance-main.js';
import { InstanceProcess } from '../support/instance-process.js';
import { expectFailurePolicyHeld, LogoutTraffic, probeDuringFailover, recoveryAfterKill, repeatUntilStopped, statusesAt } from '../support/redis-logout-traffic.js';
import { DOWN_AFTER_MS, SentinelTopology } from '../support/redis-sentinel-topology.js';
import { checkRedisForSuite } from '../support/redis-server.js';
import { waitFor } from '../support/wait-for.js';

/*
 * Three app instances (separate processes) on a Sentinel deployment: a master, a replica and
 * three Sentinels. The master is killed during a stream of logouts, right after it acknowledged
 * logouts that the replica never received (it was frozen): the replica, promoted, lacks the
 * tail of the log. The instances must put it back, and refuse per the failure policy meanwhile.
 */

const CLIENT = 'app-sentinel';
const MAX_STALENESS = 1_000;
/** A fresh Node process compiles the app before it starts: seconds, a minute on a busy machine. */
const START_TIMEOUT = 90_000;
const enabled = checkRedisForSuite('Redis Sentinel integration tests');

/** One look at an instance: its health before and after two guarded requests. */
describe.skipIf(!enabled)('three instances on Redis Sentinel (separate processes)', () => {
  let topology: SentinelTopology;
  let realm: FakeRealm;
  let instances: InstanceProcess[] = [];
  let config: InstanceConfig;

  beforeAll(async () => {
    [topology, realm] = await Promise.all([SentinelTopology.start(), FakeRealm.start()]);
    config = {
      issuer: realm.issuer,
      clientId: CLIENT,
      mode: 'redis',
      sentinel: { sentinels: topology.nodes, name: topology.name },
      keyPrefix: 'sentinel:',
      maxStaleness: MAX_STALENESS,
      maxReconnectDelay: 100,
    };
    instances = await Promise.all([1, 2, 3].map((n) => InstanceProcess.start(`sentinel-instance-${n}`, config, START_TIMEOUT)));
  }, 200_000);

  afterAll(async () => {
    await Promise.all(instances.map((instance) => instance.kill()));
    // A frozen server would keep its port and memory: thawed, then killed with the others.
    topology?.master.resume();
    topology?.replica.resume();
    await realm?.close();
    await topology?.stop();
  });

  it('a back-channel logout at instance 1 refuses the token at instances 2 and 3, through the master the Sentinels name', async () => {
    const traffic = new LogoutTraffic(realm, CLIENT, 'sentinel-basic');
    const bystander = await traffic.bystander();
    const logout = await traffic.logoutAt(instances[0]!);
    expect(logout.status).toBe(200);
    await waitFor(async () => (await statusesAt(instances, logout.token)).every((s) => s === 401), 'refused everywhere', 2_000, 5);
    expect(await statusesAt(instances, bystander)).toEqual([200, 200, 200]);
    expect((await Promise.all(instances.map((i) => i.health()))).map((h) => h.state)).toEqual(['fresh', 'fresh', 'fresh']);
  });

  it('after the master dies with a tail the replica lacks, every acknowledged logout is refused everywhere, stale views refuse with 503', async () => {
    const traffic = new LogoutTraffic(realm, CLIENT, 'failover');
    const bystander = await traffic.bystander();
    let turn = 0;
    const logoutSomewhere = () => traffic.logoutAt(instances[turn++ % instances.length]!);
    for (let i = 0; i < 6; i += 1) expect((await logoutSomewhere()).status).toBe(200);
    const revoked = traffic.sent[0]!.token;
    await waitFor(async () => (await statusesAt(instances, revoked)).every((s) => s === 401), 'first logout everywhere', 2_000, 5);

    // Guarded requests at every instance all along, and a stream of logouts, while a node dies.
    const watch = probeDuringFailover(instances, bystander, revoked);
    const stream = repeatUntilStopped(logoutSomewhere);

    try {
      // The replica stops replicating: frozen, and its link cut by the master, so that what the
      // master acknowledges from now on does not even wait in the replica's socket: only the master holds it.
      topology.replica.pause();
      await topology.ask(topology.master, ['CLIENT', 'KILL', 'TYPE', 'replica']);
      const acknowledgedBefore = traffic.acknowledged.length;
      await waitFor(() => traffic.acknowledged.length >= acknowledgedBefore + 3, 'three logouts acknowledged by the master alone', 5_000);
      const tail = traffic.acknowledged.slice(acknowledgedBefore);
      const masterOffset = Number(await topology.replicationField(topology.master, 'master_repl_offset'));
      const killedAt = Date.now();
      await topology.master.stop();
      topology.replica.resume();
      // The scenario holds: the replica that will take over lacks what the master wrote last.
      expect(Number(await topology.replicationField(topology.replica, 'master_repl_offset'))).toBeLessThan(masterOffset);

      await waitFor(async () => (await topology.masterPort()) === topology.replica.port, 'the Sentinels to promote the replica', 30_000, 100);
      const promotedAt = Date.now();
      const { freshAt, firstAcknowledgedAfterKill } = await recoveryAfterKill(instances, traffic, stream, killedAt);

      // Every logout, acknowledged or answered with an error during the failover (enforced and
      // queued), is refused by every instance: they converged on the same revocations.
      for (const logout of traffic.sent) {
        await waitFor(async () => (await statusesAt(instances, logout.token)).every((s) => s === 401), 'every logout refused everywhere', 5_000);
      }
      const known = (await Promise.all(instances.map((i) => i.health()))).map((h) => h.knownRevocations);
      expect(new Set(known).size).toBe(1);
      // The tail the new master lacked was written back: an instance started now refuses it too.
      const late = await InstanceProcess.start('sentinel-instance-late', config, START_TIMEOUT);
      instances.push(late);
      for (const logout of tail) expect(await late.me(logout.token)).toBe(401);
      for (const logout of traffic.acknowledged) expect(await late.me(logout.token)).toBe(401);
      expect(await late.me(bystander)).toBe(200);

      console.log(
        `Sentinel failover (down-after-milliseconds ${DOWN_AFTER_MS}): master killed → replica promoted ${promotedAt - killedAt} ms, ` +
          `→ every instance fresh ${freshAt - killedAt} ms; first logout sent after the kill acknowledged ${firstAcknowledgedAfterKill - killedAt} ms; ` +
          `${traffic.sent.length} logouts sent, ${traffic.acknowledged.length} acknowledged, ${tail.length} in the lost tail`,
      );
    } finally {
      await Promise.all([stream.stop(), watch.stop()]);
    }

    expectFailurePolicyHeld(watch.probes);
  }, 200_000);

  it('after a second, graceful failover (SENTINEL FAILOVER), each instance writes to and reads from the new master: with the old one frozen, a logout at any instance reaches the others and every view stays fresh', async () => {
    const current = instances.slice(0, 3);
    // The master killed above comes back empty; the Sentinels make it a replica of the current master.
    await topology.master.restart();
    await waitFor(() => topology.replicaInSync(topology.master), 'the old master to come back as an in-sync replica', 30_000, 100);
    await waitFor(() => topology.failover(), 'the Sentinels to accept SENTINEL FAILOVER', 20_000, 200);
    // An instance notices the new master when its Sentinel clients do (+switch-master): it then
    // checks the log there and stays stale for recoveryGrace. Until then it may go on reading the
    // demoted master, which replicates the new one. So: each seen stale, then all fresh again.
    const noticed = new Set<number>();
    await waitFor(
      async () => {
        const health = await Promise.all(current.map((i) => i.health()));
        health.forEach((h, n) => h.stale && noticed.add(n));
        return noticed.size === current.length && health.every((h) => h.state === 'fresh' && h.unsharedRevocations === 0);
      },
      'every instance to notice the new master (stale while it recovers), then to be fresh again',
      30_000,
      20,
    );
    expect(await topology.masterPort()).toBe(topology.master.port);

    // The demoted master answers nothing any more: an instance still reading from it would turn
    // stale and never see the logouts below; one still writing to it could not acknowledge them.
    topology.replica.pause();
    try {
      const traffic = new LogoutTraffic(realm, CLIENT, 'sentinel-graceful');
      for (const [n, instance] of current.entries()) {
        const logout = await traffic.logoutAt(instance);
        expect(logout.status).toBe(200);
        const others = current.filter((_, i) => i !== n);
        await waitFor(async () => (await statusesAt(others, logout.token)).every((s) => s === 401), `the logout at instance ${n + 1} refused by the others`, 2_000, 5);
      }
      // Past maxStaleness since the freeze: the views are fresh because they read the new master.
      await new Promise((resolve) => setTimeout(resolve, 2 * MAX_STALENESS));
      expect((await Promise.all(current.map((i) => i.health()))).map((h) => h.state)).toEqual(['fresh', 'fresh', 'fresh']);
      expect(await statusesAt(current, await traffic.bystander())).toEqual([200, 200, 200]);
    } finally {
      topology.replica.resume();
    }
  }, 120_000);
});
