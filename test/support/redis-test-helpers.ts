import { randomUUID } from 'node:crypto';
import type { LoggerService } from '@nestjs/common';
import { createClient, type RedisClientType } from 'redis';
import { afterAll, afterEach, beforeAll } from 'vitest';
import type { Revocation } from '../../lib/index.js';
import type { RedisLogoutBackend } from '../../lib/redis/index.js';
import { RedisServer } from './redis-server.js';

export function quietLogger(): LoggerService & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    log: (message: unknown) => lines.push(`log ${String(message)}`),
    warn: (message: unknown) => lines.push(`warn ${String(message)}`),
    error: (message: unknown) => lines.push(`error ${String(message)}`),
    debug: () => undefined,
  };
}

export function sidRevocation(sid: string, lifetimeMs = 60_000): Revocation {
  const now = Date.now();
  return { type: 'sid', sid, id: randomUUID(), source: 'api', revokedAt: now, expiresAt: now + lifetimeMs };
}

/** Members of a registry index, whichever Redis type holds it (a set before the sorted-set layout). */
export async function indexMembers(redis: RedisClientType, key: string): Promise<string[]> {
  return (await redis.type(key)) === 'set' ? (await redis.sMembers(key)).sort() : redis.zRange(key, 0, -1);
}

/** What privateRedisForSuite() gives a suite; read its fields inside tests and hooks (set in beforeAll). */
export interface PrivateRedis {
  readonly redis: RedisServer;
  readonly admin: RedisClientType;
  /** Backends a test opened: closed after each test. */
  readonly open: RedisLogoutBackend[];
}

/** Registers the hooks of a suite that runs on a private redis-server with an admin client of its own. */
export function privateRedisForSuite(): PrivateRedis {
  const context = { open: [] as RedisLogoutBackend[] } as { redis: RedisServer; admin: RedisClientType; open: RedisLogoutBackend[] };
  beforeAll(async () => {
    context.redis = await RedisServer.start();
    context.admin = createClient({ url: context.redis.url });
    await context.admin.connect();
  });
  afterEach(async () => {
    await Promise.all(context.open.splice(0).map((backend) => backend.close()));
  });
  afterAll(async () => {
    await context.admin?.close();
    await context.redis?.stop();
  });
  return context;
}
