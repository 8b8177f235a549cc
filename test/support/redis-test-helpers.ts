import { randomUUID } from 'node:crypto';
import type { LoggerService } from '@nestjs/common';
import type { RedisClientType } from 'redis';
import type { Revocation } from '../../lib/index.js';

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
