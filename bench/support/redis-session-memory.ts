/**
 * Redis memory per tracked session, for benchmark 3 and `npm run bench:redis-memory`: a Redis
 * session registry filled with `sessions` sessions on a private redis-server, as the module's
 * login registers them (an app session id, a Keycloak `sid`, a `sub`), once with one session per
 * user and once with ten. Reports Redis' `INFO memory` used_memory delta per session and
 * `MEMORY USAGE` of each kind of key a session writes (a sample of every 50th key of a kind).
 */
import type { LoggerService } from '@nestjs/common';
import { createClient, type RedisClientType } from 'redis';
import type { SessionRegistry } from '../../lib/index.js';
import { RedisServer, redisServerAvailable } from '../../test/support/redis-server.js';
import { adapterIdOf, uuid } from './session-ids.js';

export const REDIS_GOAL_BYTES = 256;
/**
 * The goal is judged from this many sessions on: the registry keeps sessions in 16,384 buckets,
 * whose per-key overhead is shared by several sessions only from about 100k sessions on (smaller
 * counts are shown, not judged).
 */
export const REDIS_GOAL_FROM_SESSIONS = 100_000;
const CONCURRENCY = 200;
const PREFIX = 'keycloak-logout:';

/** What the measurement needs of `createRedisLogoutBackend` (from the sources or from the build). */
export type CreateBackend = (options: { url: string; keyPrefix: string; logger: LoggerService; maxSessionsPerUser: number; commandTimeout: number }) => {
  sessionRegistry: SessionRegistry;
  close(): Promise<void>;
};

export interface RedisLayout {
  name: string;
  /** Sessions per user. */
  perUser: number;
  sessions: number;
  keys: number;
  usedMemoryPerSession: number;
  /** MEMORY USAGE (SAMPLES 0) of sampled keys, by the kind of key (its name without the prefix and the id). */
  keyKinds: Array<{ kind: string; count: number; bytesPerKey: number; bytesPerSession: number }>;
  registerMicros: number;
}

export interface RedisMemory {
  redisVersion: string;
  sizes: number[];
  layouts: RedisLayout[];
  /** The largest used_memory per session at REDIS_GOAL_FROM_SESSIONS sessions or more; undefined when no size was that large. */
  worstPerSession: number | undefined;
}

const silent: LoggerService = { log: () => undefined, warn: () => undefined, error: () => undefined };

async function usedMemory(admin: RedisClientType): Promise<number> {
  return Number(/used_memory:(\d+)/.exec(await admin.info('memory'))![1]);
}

/** Session `i` of a registry filled with `perUser` sessions per user. */
export function benchSession(i: number, perUser: number, issuedAt: number) {
  return { adapterSessionId: adapterIdOf(i), sid: uuid(i, 1), sub: uuid(Math.floor(i / perUser), 7), clientId: 'bench-app', issuedAt, expiresAt: issuedAt + 36_000 };
}

async function fill(registry: SessionRegistry, sessions: number, perUser: number): Promise<number> {
  const issuedAt = Math.floor(Date.now() / 1000);
  const started = performance.now();
  for (let start = 0; start < sessions; start += CONCURRENCY) {
    const batch: Array<Promise<void>> = [];
    for (let i = start; i < Math.min(sessions, start + CONCURRENCY); i += 1) batch.push(registry.register(benchSession(i, perUser, issuedAt)));
    await Promise.all(batch);
  }
  return ((performance.now() - started) * 1000) / sessions;
}

/** The kind of a key: its name without the prefix and the id or bucket number at its end. */
const kindOf = (key: string) => key.slice(PREFIX.length).replace(/(?:[0-9a-f-]{32,}|\d+)$/u, '…');

async function keyKinds(admin: RedisClientType, sessions: number): Promise<RedisLayout['keyKinds']> {
  const byKind = new Map<string, { count: number; sampled: number; bytes: number }>();
  for await (const keys of admin.scanIterator({ MATCH: `${PREFIX}*`, COUNT: 1000 })) {
    for (const key of keys) {
      const kind = kindOf(key);
      const entry = byKind.get(kind) ?? { count: 0, sampled: 0, bytes: 0 };
      byKind.set(kind, entry);
      entry.count += 1;
      if (entry.count % 50 === 1) {
        entry.sampled += 1;
        entry.bytes += (await admin.memoryUsage(key, { SAMPLES: 0 })) ?? 0;
      }
    }
  }
  return [...byKind].map(([kind, { count, sampled, bytes }]) => ({ kind, count, bytesPerKey: bytes / sampled, bytesPerSession: (bytes / sampled) * (count / sessions) }));
}

/** A registry filled on a server of its own, still open (close the backend, then stop the server). */
export interface FilledRegistry {
  layout: RedisLayout;
  registry: SessionRegistry;
  close(): Promise<void>;
}

/**
 * Fills an empty redis-server (`admin` is a client of it) with `sessions` sessions, `perUser` per
 * user, and measures what they take; the registry stays open for more measurements.
 */
export async function fillRegistry(admin: RedisClientType, url: string, createBackend: CreateBackend, sessions: number, name: string, perUser: number): Promise<FilledRegistry> {
  await admin.flushAll();
  // A generous command timeout: hundreds of registrations at once on a shared, busy machine may queue for more than the default second.
  const backend = createBackend({ url, keyPrefix: PREFIX, logger: silent, maxSessionsPerUser: Math.max(perUser, 1), commandTimeout: 10_000 });
  const registry = backend.sessionRegistry;
  try {
    // The connection and its first command outside the figure.
    await registry.findBySid('warm-up');
    const before = await usedMemory(admin);
    const registerMicros = await fill(registry, sessions, perUser);
    const after = await usedMemory(admin);
    // Sanity: sessions can be found all three ways.
    for (const i of [0, sessions >> 1, sessions - 1]) {
      const bySid = await registry.findBySid(uuid(i, 1));
      const bySub = await registry.findBySubject(uuid(Math.floor(i / perUser), 7));
      const byAdapter = await registry.findByAdapterSessionId(adapterIdOf(i));
      if (bySid.length !== 1 || bySub.length !== Math.min(perUser, sessions) || byAdapter?.sid !== uuid(i, 1)) throw new Error(`${name}: session ${i} not found`);
    }
    const keys = await admin.dbSize();
    const layout = { name, perUser, sessions, keys, usedMemoryPerSession: (after - before) / sessions, keyKinds: await keyKinds(admin, sessions), registerMicros };
    return { layout, registry, close: () => backend.close() };
  } catch (error) {
    await backend.close();
    throw error;
  }
}

export function redisAvailable(): boolean {
  return redisServerAvailable();
}

export const PER_USER_LAYOUTS = [
  { name: 'one session per user', perUser: 1 },
  { name: 'ten sessions per user', perUser: 10 },
] as const;

/** A private redis-server and an admin client of it. */
export async function privateRedis(): Promise<{ url: string; admin: RedisClientType; redisVersion: string; stop(): Promise<void> }> {
  const redis = await RedisServer.start();
  const admin: RedisClientType = createClient({ url: redis.url });
  await admin.connect();
  const redisVersion = /redis_version:(\S+)/.exec(await admin.info('server'))?.[1] ?? '?';
  return {
    url: redis.url,
    admin,
    redisVersion,
    stop: async () => {
      await admin.close();
      await redis.stop();
    },
  };
}

/** Both layouts (one and ten sessions per user) at each size, on a private redis-server. */
export async function measureRedisMemory(createBackend: CreateBackend, sizes: number[]): Promise<RedisMemory> {
  const redis = await privateRedis();
  try {
    const layouts: RedisLayout[] = [];
    for (const sessions of sizes) {
      for (const { name, perUser } of PER_USER_LAYOUTS) {
        const filled = await fillRegistry(redis.admin, redis.url, createBackend, sessions, name, perUser);
        await filled.close();
        layouts.push(filled.layout);
      }
    }
    const judged = layouts.filter((layout) => layout.sessions >= REDIS_GOAL_FROM_SESSIONS);
    return { redisVersion: redis.redisVersion, sizes, layouts, worstPerSession: judged.length > 0 ? Math.max(...judged.map((layout) => layout.usedMemoryPerSession)) : undefined };
  } finally {
    await redis.stop();
  }
}

/** Plain-text lines for one layout. */
export function describeLayout(layout: RedisLayout): string[] {
  return [
    `${layout.name}: ${layout.sessions} sessions, ${layout.keys} keys (${(layout.keys / layout.sessions).toFixed(2)} per session), register ${layout.registerMicros.toFixed(1)} µs each (${CONCURRENCY} at once)`,
    `  used_memory delta: ${layout.usedMemoryPerSession.toFixed(0)} B per session (goal ≤ ${REDIS_GOAL_BYTES} B)`,
    ...layout.keyKinds.map(
      (kind) => `  ${kind.kind.padEnd(16)} ${String(kind.count).padStart(8)} keys, MEMORY USAGE ${kind.bytesPerKey.toFixed(0).padStart(5)} B each, ${kind.bytesPerSession.toFixed(0).padStart(5)} B per session`,
    ),
  ];
}

/** Plain-text lines for the console. */
export function describeRedisMemory(memory: RedisMemory): string[] {
  const lines = memory.layouts.flatMap(describeLayout);
  lines.push(
    memory.worstPerSession === undefined
      ? `no size of ${REDIS_GOAL_FROM_SESSIONS} sessions or more measured: the goal is not judged`
      : `worst from ${REDIS_GOAL_FROM_SESSIONS} sessions on: ${memory.worstPerSession.toFixed(0)} B of Redis memory per session (goal ≤ ${REDIS_GOAL_BYTES} B): ${memory.worstPerSession <= REDIS_GOAL_BYTES ? 'met' : 'NOT met'}`,
  );
  return lines;
}
