/**
 * Telemetry and health on a real Redis log: two app instances (each with its own SDK) on one
 * private redis-server. A revocation made on one is recorded by the other as a `remote`
 * propagation; one read from the log while an instance starts is `catch_up`; the shared log's
 * lag and staleness are gauges and health details, read through `status()` alone.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeycloakLogoutHealth, KeycloakLogoutModule, RevocationService } from '../../lib/index.js';
import { createRedisLogoutBackend } from '../../lib/redis/index.js';
import { ATTRIBUTE, METRIC } from '../../lib/telemetry/telemetry-names.js';
import { FakeRealm } from '../support/fake-realm.js';
import { OtelTestSdk } from '../support/otel-test-sdk.js';
import { quietLogger } from '../support/redis-test-helpers.js';
import { checkRedisForSuite, RedisServer } from '../support/redis-server.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { waitFor } from '../support/wait-for.js';

const CLIENT = 'app-redis-telemetry';
const MAX_STALENESS = 500;
const enabled = checkRedisForSuite('Redis telemetry integration tests');

describe.skipIf(!enabled)('telemetry and health on a Redis revocation log', () => {
  let redis: RedisServer;
  let realm: FakeRealm;
  const apps: TestApp[] = [];
  const sdkA = new OtelTestSdk();
  const sdkB = new OtelTestSdk();

  const startInstance = async (sdk: OtelTestSdk) => {
    const backend = createRedisLogoutBackend({ url: redis.url, maxStaleness: MAX_STALENESS, maxReconnectDelay: 100, recoveryGrace: 200, logger: quietLogger() });
    const app = await startTestApp('express', KeycloakLogoutModule.forRoot({ issuer: realm.issuer, clientId: CLIENT, backend, telemetry: sdk.options }));
    apps.push(app);
    return app;
  };
  const propagated = (sdk: OtelTestSdk, origin: string) => sdk.recorded(METRIC.propagationDuration, { [ATTRIBUTE.revocationOrigin]: origin });
  const gauge = async (sdk: OtelTestSdk, name: string) => (await sdk.points(name))[0]?.value;

  beforeAll(async () => {
    redis = await RedisServer.start();
    realm = await FakeRealm.start();
  });
  afterAll(async () => {
    for (const app of apps) await app.close();
    await redis?.stop();
    await realm?.close();
    await Promise.all([sdkA.shutdown(), sdkB.shutdown()]);
  });

  it('local, catch_up and remote propagation; lag, staleness and health follow the log through an outage', async () => {
    const a = await startInstance(sdkA);
    await a.app.get(RevocationService).revokeSid('kc-before-b-started');
    expect(await propagated(sdkA, 'local')).toBe(1);

    // B reads A's revocation from the log while it starts: catch_up, not a live propagation.
    const b = await startInstance(sdkB);
    expect(await propagated(sdkB, 'catch_up')).toBe(1);
    expect(await propagated(sdkB, 'remote')).toBe(0);

    await a.app.get(RevocationService).revokeSid('kc-live');
    await waitFor(() => b.app.get(RevocationService).revocationReason({ sid: 'kc-live' }) === 'sid', 'B applies the revocation', 2_000);
    expect(await propagated(sdkB, 'remote')).toBe(1);
    const [remote] = await sdkB.points(METRIC.propagationDuration, { [ATTRIBUTE.revocationOrigin]: 'remote' });
    expect(remote!.value).toBeGreaterThanOrEqual(0);
    expect(remote!.value).toBeLessThan(2);
    expect(await propagated(sdkA, 'local')).toBe(2);
    expect(await gauge(sdkB, METRIC.revocationCount)).toBe(2);

    // Fresh: a lag below maxStaleness, nothing unshared, not stale; health up and connected.
    const lag = await gauge(sdkB, METRIC.viewLag);
    expect(lag).toBeGreaterThanOrEqual(0);
    expect(lag).toBeLessThan(MAX_STALENESS / 1000);
    expect(await gauge(sdkB, METRIC.viewStale)).toBe(0);
    expect(await gauge(sdkB, METRIC.viewUnshared)).toBe(0);
    const healthB = b.app.get(KeycloakLogoutHealth);
    expect((await healthB.check()).revocationView).toMatchObject({ status: 'up', stale: false, sharedLog: { state: 'fresh', connected: true } });

    // Redis goes away: the view turns stale, health is down (policy refuse), the gauges say so.
    await redis.stop();
    await waitFor(async () => (await healthB.check()).revocationView.stale, 'B notices the outage', 5_000);
    expect((await healthB.check()).revocationView).toMatchObject({ status: 'down', stale: true, sharedLog: { connected: false } });
    expect(await gauge(sdkB, METRIC.viewStale)).toBe(1);
    expect(await gauge(sdkB, METRIC.viewLag)).toBeGreaterThanOrEqual(MAX_STALENESS / 1000);
    // A logout meanwhile is enforced on A, not yet shared: an `error` logout and an unshared revocation.
    await expect(a.app.get(RevocationService).revokeSid('kc-during-outage')).rejects.toThrow(/Redis is unreachable/);
    expect(await sdkA.total(METRIC.logouts, { [ATTRIBUTE.path]: 'api', [ATTRIBUTE.outcome]: 'error', [ATTRIBUTE.reason]: 'failed' })).toBe(1);
    expect(await gauge(sdkA, METRIC.viewUnshared)).toBe(1);

    // Back: both instances catch up, B applies A's queued revocation, health is up again.
    await redis.restart();
    await waitFor(async () => (await healthB.check()).status === 'up', 'B is fresh again', 10_000);
    await waitFor(() => b.app.get(RevocationService).revocationReason({ sid: 'kc-during-outage' }) === 'sid', 'B gets the queued revocation', 5_000);
    expect(await gauge(sdkA, METRIC.viewUnshared)).toBe(0);
    expect(await propagated(sdkB, 'remote')).toBe(2);
  });
});
