/**
 * What the separate Redis benchmarks (propagation, live connections) run on: a private
 * redis-server, a fake realm and app instances in their own processes, all on loopback, torn
 * down whatever happens. (Run from source through test/support/ts-register.js, like them.)
 */
import { keycloak26LogoutToken } from '../test/support/keycloak-logout-tokens.js';
import { FakeRealm } from '../test/support/fake-realm.js';
import type { InstanceConfig } from '../test/support/instance-main.js';
import { InstanceProcess } from '../test/support/instance-process.js';
import { keycloakAccessToken } from '../test/support/keycloak-access-token.js';
import { RedisServer, redisServerAvailable } from '../test/support/redis-server.js';

export interface RedisDeployment {
  realm: FakeRealm;
  instances: [InstanceProcess, ...InstanceProcess[]];
}

type DeploymentConfig = Omit<InstanceConfig, 'issuer' | 'mode' | 'redisUrl'>;

/** Starts `count` instances with `config` on one redis-server, runs `bench` on them, then stops everything; a failure sets the exit code. */
export function runOnRedisInstances(count: number, config: DeploymentConfig, bench: (deployment: RedisDeployment) => Promise<void>): void {
  const run = async () => {
    if (!redisServerAvailable()) throw new Error('redis-server is required for this benchmark (apt-get install redis-server)');
    const [redis, realm] = await Promise.all([RedisServer.start(), FakeRealm.start()]);
    const instances: InstanceProcess[] = [];
    try {
      const full: InstanceConfig = { ...config, issuer: realm.issuer, mode: 'redis', redisUrl: redis.url };
      instances.push(...(await Promise.all(Array.from({ length: count }, (_, n) => InstanceProcess.start(`instance-${n + 1}`, full)))));
      await bench({ realm, instances: instances as RedisDeployment['instances'] });
    } finally {
      await Promise.all(instances.map((instance) => instance.kill()));
      await realm.close();
      await redis.stop();
    }
  };
  run().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}

/** `count` sessions' access tokens and logout tokens, signed up front so that signing is not timed. */
export function signSessions(realm: FakeRealm, clientId: string, count: number, sidPrefix: string): Promise<Array<{ access: string; logout: string }>> {
  return Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const sid = `${sidPrefix}-${i}`;
      return {
        access: await keycloakAccessToken(realm, { clientId, sub: `user-${i}`, sid }),
        logout: await keycloak26LogoutToken({ realm, clientId, sid, sub: `user-${i}` }),
      };
    }),
  );
}

/**
 * POSTs a logout token to the instance's back-channel route and resolves `performance.now()`
 * when its whole response has arrived (the benchmarks' t0); fails unless it answered 200.
 */
export async function backchannelLogout(instance: InstanceProcess, logoutToken: string): Promise<number> {
  const response = await fetch(`${instance.url}/auth/backchannel-logout`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ logout_token: logoutToken }).toString(),
  });
  await response.arrayBuffer();
  const t0 = performance.now();
  if (response.status !== 200) throw new Error(`logout answered ${response.status}`);
  return t0;
}
