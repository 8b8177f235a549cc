/**
 * Guard cost with the Redis backend vs the in-memory defaults vs an unguarded route, in one run:
 * the Redis mode must stay within 10% of the in-memory mode's throughput, because the guard's
 * hot path only reads local memory (no Redis round trip per request).
 *
 *   npm run bench:guard-cost-redis       (DURATION=5 ROUNDS=3 CONNECTIONS=10 to change)
 *
 * Two Nest instances in separate processes, same code and options, one with
 * `createRedisLogoutBackend()` on a private redis-server, one with the defaults. autocannon
 * (in this process) loads one target at a time; targets are measured in rotating order over
 * several rounds and the median of the rounds is reported. The Redis server's command counter
 * is read around the Redis-mode runs to show the commands per guarded request. Not a test.
 */
import { availableParallelism, loadavg } from 'node:os';
import autocannon from 'autocannon';
import { createClient } from 'redis';
import { FakeRealm } from '../test/support/fake-realm.js';
import { InstanceProcess } from '../test/support/instance-process.js';
import { keycloakAccessToken } from '../test/support/keycloak-access-token.js';
import { RedisServer, redisServerAvailable } from '../test/support/redis-server.js';

const DURATION = Number(process.env.DURATION ?? 5);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 10);
const CLIENT = 'bench-guard';

interface Target {
  name: string;
  url: string;
  guarded: boolean;
  redis: boolean;
}

interface Run {
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  bad: number;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function load(target: Target, token: string, seconds: number): Promise<Run> {
  const result = await autocannon({
    url: target.url,
    connections: CONNECTIONS,
    duration: seconds,
    headers: target.guarded ? { authorization: `Bearer ${token}` } : {},
  });
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: result.requests.total,
    bad: result.non2xx + result.errors + result.timeouts,
  };
}

async function main(): Promise<void> {
  if (!redisServerAvailable()) throw new Error('redis-server is required for this benchmark (apt-get install redis-server)');
  const [redis, realm] = await Promise.all([RedisServer.start(), FakeRealm.start()]);
  const admin = createClient({ url: redis.url });
  const instances: InstanceProcess[] = [];
  try {
    await admin.connect();
    const base = { issuer: realm.issuer, clientId: CLIENT, logs: false };
    const [memory, withRedis] = await Promise.all([
      InstanceProcess.start('memory', { ...base, mode: 'memory' }),
      InstanceProcess.start('redis', { ...base, mode: 'redis', redisUrl: redis.url, keyPrefix: 'bench-guard:' }),
    ]);
    instances.push(memory, withRedis);
    const token = await keycloakAccessToken(realm, { clientId: CLIENT, sub: 'load', sid: 'bench-guard-sid', exp: Math.floor(Date.now() / 1000) + 3_600 });
    // Something to check against: the guards look a token up among real revocations.
    for (let i = 0; i < 1_000; i += 1) await withRedis.call({ cmd: 'revokeSid', sid: `other-${i}` });

    const targets: Target[] = [
      { name: 'guarded, in-memory defaults', url: `${memory.url}/api/me`, guarded: true, redis: false },
      { name: 'guarded, Redis backend', url: `${withRedis.url}/api/me`, guarded: true, redis: true },
      { name: 'unguarded, in-memory instance', url: `${memory.url}/api/open`, guarded: false, redis: false },
      { name: 'unguarded, Redis instance', url: `${withRedis.url}/api/open`, guarded: false, redis: true },
    ];
    for (const target of targets) await load(target, token, 1); // warm-up: JIT, token cache, JWKS

    const runs = new Map<string, Run[]>(targets.map((t) => [t.name, []]));
    let redisCommands = 0;
    let redisModeRequests = 0;
    let redisModeSeconds = 0;
    for (let round = 0; round < ROUNDS; round += 1) {
      const order = targets.map((_, i) => targets[(i + round) % targets.length]!);
      for (const target of order) {
        const before = target.redis ? Number((await admin.info('stats')).match(/total_commands_processed:(\d+)/)![1]) : 0;
        const started = Date.now();
        const run = await load(target, token, DURATION);
        if (target.redis) {
          const after = Number((await admin.info('stats')).match(/total_commands_processed:(\d+)/)![1]);
          redisCommands += after - before - 1; // minus our own INFO
          redisModeRequests += run.requests;
          redisModeSeconds += (Date.now() - started) / 1000;
        }
        runs.get(target.name)!.push(run);
        process.stderr.write(`round ${round + 1}/${ROUNDS} ${target.name}: ${run.rps.toFixed(0)} req/s\n`);
      }
    }

    const summary = new Map(
      targets.map((t) => {
        const list = runs.get(t.name)!;
        return [
          t.name,
          {
            rps: median(list.map((r) => r.rps)),
            p50: median(list.map((r) => r.p50)),
            p99: median(list.map((r) => r.p99)),
            bad: list.reduce((sum, r) => sum + r.bad, 0),
            all: list.map((r) => r.rps.toFixed(0)).join(' / '),
          },
        ];
      }),
    );
    console.log(`\nGuard cost: GET with a valid bearer token, autocannon ${CONNECTIONS} connections, ${ROUNDS} rounds × ${DURATION} s per target`);
    console.log(
      `two Nest instances (express, separate processes), redis-server on loopback, ${new Date().toISOString()}, ` +
        `${availableParallelism()} cores, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}\n`,
    );
    console.log(`${'target'.padEnd(32)}${'req/s (median)'.padStart(16)}${'rounds'.padStart(26)}${'p50'.padStart(8)}${'p99'.padStart(8)}${'non-2xx'.padStart(9)}`);
    for (const [name, s] of summary) {
      console.log(`${name.padEnd(32)}${s.rps.toFixed(0).padStart(16)}${s.all.padStart(26)}${`${s.p50} ms`.padStart(8)}${`${s.p99} ms`.padStart(8)}${String(s.bad).padStart(9)}`);
    }
    const rps = (name: string) => summary.get(name)!.rps;
    const redisVsMemory = rps('guarded, Redis backend') / rps('guarded, in-memory defaults');
    console.log('\nratios');
    console.log(`  guarded Redis / guarded in-memory        ${redisVsMemory.toFixed(3)}  (goal ≥ 0.90: ${redisVsMemory >= 0.9 ? 'met' : 'NOT met'})`);
    console.log(`  guarded in-memory / unguarded (same app) ${(rps('guarded, in-memory defaults') / rps('unguarded, in-memory instance')).toFixed(3)}`);
    console.log(`  guarded Redis / unguarded (same app)     ${(rps('guarded, Redis backend') / rps('unguarded, Redis instance')).toFixed(3)}`);
    console.log(
      `  Redis commands per request (Redis instance runs) ${(redisCommands / redisModeRequests).toFixed(5)} ` +
        `(${redisCommands} commands in ${redisModeSeconds.toFixed(0)} s: the reader's blocking XREAD, not the requests)`,
    );
  } finally {
    await Promise.all(instances.map((instance) => instance.kill()));
    await admin.close().catch(() => undefined);
    await realm.close();
    await redis.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
