/**
 * Redis memory per tracked session of the Redis session registry, and the latency of its
 * operations (benchmark 3 runs the memory measurement on the build and reports it in
 * bench/RESULTS.md):
 *
 *   npm run bench:redis-memory                                   (SESSIONS=100000 by default)
 *   SESSIONS=10000,100000,1000000 BASELINE=../other-checkout npm run bench:redis-memory
 *
 * Runs on the sources (lib/redis), so a change to the registry's layout can be measured without
 * a build. With BASELINE (the root of another checkout of this repository, its node_modules
 * installed), that checkout's registry is measured in the same run, beside this one: memory at
 * each size, and each operation's latency, one call at a time, in alternating rounds on two
 * redis-servers filled alike. Prints the figures; writes nothing.
 */
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createRedisLogoutBackend } from '../lib/redis/index.js';
import { measureRegistryLatency, REGISTRY_OPERATIONS } from './support/redis-registry-latency.js';
import { describeLayout, fillRegistry, PER_USER_LAYOUTS, privateRedis, redisAvailable, REDIS_GOAL_BYTES, type CreateBackend, type FilledRegistry } from './support/redis-session-memory.js';

const SIZES = (process.env.SESSIONS ?? '100000').split(',').map(Number);
const BASELINE = process.env.BASELINE;
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const CALLS = Number(process.env.CALLS ?? 200);

if (!redisAvailable()) throw new Error('redis-server is required for this benchmark (apt-get install redis-server)');
if (SIZES.some((size) => !Number.isInteger(size) || size < 1)) throw new Error(`SESSIONS must be positive integers separated by commas, not "${process.env.SESSIONS}"`);

const implementations: Array<{ name: string; createBackend: CreateBackend }> = [{ name: 'this checkout', createBackend: createRedisLogoutBackend }];
if (BASELINE) {
  const entry = pathToFileURL(resolve(BASELINE, 'lib/redis/index.ts')).href;
  const baseline = (await import(entry)) as { createRedisLogoutBackend: CreateBackend };
  implementations.unshift({ name: `baseline (${BASELINE})`, createBackend: baseline.createRedisLogoutBackend });
}

const loadAverage = () => loadavg().map((load) => load.toFixed(2)).join(' ');
console.log(`load average at start: ${loadAverage()}`);
for (const sessions of SIZES) {
  for (const { name, perUser } of PER_USER_LAYOUTS) {
    const servers = await Promise.all(implementations.map(() => privateRedis()));
    const filled: FilledRegistry[] = [];
    try {
      for (const [i, implementation] of implementations.entries()) {
        filled.push(await fillRegistry(servers[i]!.admin, servers[i]!.url, implementation.createBackend, sessions, name, perUser));
        console.log(`\n[${implementation.name}] Redis ${servers[i]!.redisVersion}\n${describeLayout(filled[i]!.layout).join('\n')}`);
      }
      const latency = await measureRegistryLatency(
        implementations.map((implementation, i) => ({ name: implementation.name, registry: filled[i]!.registry })),
        sessions,
        perUser,
        { rounds: ROUNDS, calls: CALLS },
      );
      console.log(`\n${sessions} sessions, ${name}: µs per call, one at a time (median of ${ROUNDS} alternating rounds of ${CALLS}), load ${loadAverage()}`);
      for (const result of latency) {
        console.log(`  ${result.name.padEnd(40)} ${REGISTRY_OPERATIONS.map((operation) => `${operation} ${result.micros[operation].toFixed(0)}`).join(', ')}`);
      }
      if (implementations.length === 2) {
        const [before, after] = latency as [(typeof latency)[0], (typeof latency)[0]];
        console.log(`  after ÷ before: ${REGISTRY_OPERATIONS.map((operation) => `${operation} ${(after.micros[operation] / before.micros[operation]).toFixed(2)}×`).join(', ')}`);
        console.log(
          `  memory: ${filled[0]!.layout.usedMemoryPerSession.toFixed(0)} B → ${filled[1]!.layout.usedMemoryPerSession.toFixed(0)} B per session (goal ≤ ${REDIS_GOAL_BYTES} B)`,
        );
      }
    } finally {
      await Promise.all(filled.map((registry) => registry.close()));
      await Promise.all(servers.map((server) => server.stop()));
    }
  }
}
