/**
 * One new instance of the catch-up benchmark (bench/catch-up.ts), in a process of its own as a
 * new instance is: a Redis backend made from the library sources under the given checkout (this
 * one, or the baseline's), and the module's RevocationService on it, with its store, telemetry
 * (the OpenTelemetry API without an SDK) and one `onLogout` listener, as every app has (the
 * library's RevokedSessionDestroyer). Times the service's `onApplicationBootstrap()`, which
 * resolves after the bus's first complete read of the log, and prints the figures as one JSON
 * line.
 *
 *   node --import ./test/support/ts-register.js bench/catch-up-instance.ts <checkout> <redis url> <key prefix>
 */
import { pathToFileURL } from 'node:url';
import { Logger } from '@nestjs/common';
import { createClient } from 'redis';
import type * as RedisEntryPoint from '../lib/redis/index.js';
import type * as StoreModule from '../lib/revocation/revocation-store.js';
import type * as ServiceModule from '../lib/revocation/revocation.service.js';
import type * as OptionsModule from '../lib/options/resolve-options.js';
import type * as TelemetryModule from '../lib/telemetry/keycloak-logout-telemetry.js';
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
  /** `onLogout` events the listener got by the end of start-up. */
  events: number;
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
  const { RevocationService } = (await import(source('revocation/revocation.service.ts'))) as typeof ServiceModule;
  const { resolveOptions } = (await import(source('options/resolve-options.ts'))) as typeof OptionsModule;
  const { KeycloakLogoutTelemetry } = (await import(source('telemetry/keycloak-logout-telemetry.ts'))) as typeof TelemetryModule;

  // Stdout carries the figures: the service's own log lines (Nest's Logger) are not wanted there.
  Logger.overrideLogger(false);
  const logger = quietLogger();
  const backend = createRedisLogoutBackend({ url, keyPrefix, startTimeout: 600_000, logger });
  const options = resolveOptions({ issuer: 'https://keycloak.invalid/realms/bench', clientId: 'bench', backend });
  const store = new RevocationStore();
  store.onModuleDestroy();
  const { revocationBus: bus, sessionRegistry: registry } = backend;
  const service = new RevocationService(options, store, registry, bus, new KeycloakLogoutTelemetry(options, store, registry, bus));
  let events = 0;
  service.onLogout(() => void (events += 1));
  let received = 0;
  bus.subscribe((list) => void (received += list.length));
  const monitor = createClient({ url });
  await monitor.connect();
  const redisBefore = await redisCpu(monitor);
  const cpu = process.cpuUsage();
  const started = performance.now();
  await service.onApplicationBootstrap();
  const ms = performance.now() - started;
  const applied = store.size;
  const used = process.cpuUsage(cpu);
  const redisCpuMs = (await redisCpu(monitor)) - redisBefore;
  await monitor.close();
  await backend.close();
  const warnings = logger.lines.filter((line) => !line.startsWith('log ')).slice(0, 5);
  const run: InstanceRun = { ms, cpuMs: (used.user + used.system) / 1000, redisCpuMs, received, applied, events, warnings };
  console.log(JSON.stringify(run));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
