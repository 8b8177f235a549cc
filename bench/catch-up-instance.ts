/**
 * One new instance of the catch-up benchmark (bench/catch-up.ts), in a process of its own as a
 * new instance is: a Redis backend made from the library sources under the given checkout (this
 * one, or the baseline's), its revocations applied to a RevocationStore as RevocationService
 * does. Times `revocationBus.start()`, which resolves after the first complete read of the log,
 * and prints the figures as one JSON line.
 *
 *   node --import ./test/support/ts-register.js bench/catch-up-instance.ts <checkout> <redis url> <key prefix>
 */
import { pathToFileURL } from 'node:url';
import { createClient } from 'redis';
import type * as RedisEntryPoint from '../lib/redis/index.js';
import type * as StoreModule from '../lib/revocation/revocation-store.js';
import { quietLogger } from '../test/support/redis-test-helpers.js';

/** What the benchmark reads back. */
export interface InstanceRun {
  /** Wall-clock ms of start(). */
  ms: number;
  /** CPU ms of this process during start(). */
  cpuMs: number;
  /** CPU ms of redis-server during start() (INFO cpu, all of its threads). */
  redisCpuMs: number;
  /** Revocations the bus delivered. */
  received: number;
  /** Revocations the store took (the live ones). */
  applied: number;
  /** What the backend logged as warnings or errors (a refused script, skipped entries). */
  warnings: string[];
}

/** CPU ms redis-server has used so far. */
async function redisCpu(redis: ReturnType<typeof createClient>): Promise<number> {
  const info = await redis.info('cpu');
  const seconds = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1] ?? NaN);
  return (seconds('used_cpu_user') + seconds('used_cpu_sys')) * 1000;
}

async function main(): Promise<void> {
  const [checkout, url, keyPrefix] = process.argv.slice(2);
  if (checkout === undefined || url === undefined || keyPrefix === undefined) throw new Error('usage: catch-up-instance.ts <checkout> <redis url> <key prefix>');
  const source = (path: string) => pathToFileURL(`${checkout}/lib/${path}`).href;
  const { createRedisLogoutBackend } = (await import(source('redis/index.ts'))) as typeof RedisEntryPoint;
  const { RevocationStore } = (await import(source('revocation/revocation-store.ts'))) as typeof StoreModule;

  const logger = quietLogger();
  const backend = createRedisLogoutBackend({ url, keyPrefix, startTimeout: 600_000, logger });
  const store = new RevocationStore();
  store.onModuleDestroy();
  let received = 0;
  let applied = 0;
  backend.revocationBus.subscribe((list) => {
    received += list.length;
    for (const revocation of list) if (store.apply(revocation)) applied += 1;
  });
  const monitor = createClient({ url });
  await monitor.connect();
  const redisBefore = await redisCpu(monitor);
  const cpu = process.cpuUsage();
  const started = performance.now();
  await backend.revocationBus.start();
  const ms = performance.now() - started;
  const used = process.cpuUsage(cpu);
  const redisCpuMs = (await redisCpu(monitor)) - redisBefore;
  await monitor.close();
  await backend.close();
  const warnings = logger.lines.filter((line) => !line.startsWith('log ')).slice(0, 5);
  const run: InstanceRun = { ms, cpuMs: (used.user + used.system) / 1000, redisCpuMs, received, applied, warnings };
  console.log(JSON.stringify(run));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
