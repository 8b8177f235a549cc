import { randomUUID } from 'node:crypto';
import type { LoggerService } from '@nestjs/common';
import { createClient, type RedisClientType } from 'redis';
import { afterAll, afterEach, beforeAll } from 'vitest';
import type { Revocation, SessionRecord } from '../../lib/index.js';
import { redisKeys, type RedisLogoutBackend } from '../../lib/redis/index.js';
import { addressOf } from '../../lib/redis/registry-address.js';
import { encodeSessionRecord, recordMember } from '../../lib/redis/session-record-codec.js';
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

/** The key of the session registry's bucket that a name (`a` + app session id, `s` + sid, `u` + sub...) hashes to. */
export function bucketKeyOf(prefix: string, name: string): string {
  return redisKeys(prefix).registryBucket(addressOf(name).bucket);
}

/** Every line of the session registry's buckets under a key prefix. */
export async function registryLines(redis: RedisClientType, prefix: string): Promise<string[]> {
  const lines: string[] = [];
  for await (const keys of redis.scanIterator({ MATCH: `${prefix}registry:*`, COUNT: 1000 })) {
    for (const key of keys) lines.push(...((await redis.get(key)) ?? '').split('\n').filter((line) => line !== ''));
  }
  return lines;
}

/** The line of an app session's record, if its bucket holds one. */
export async function recordLineOf(redis: RedisClientType, prefix: string, adapterSessionId: string): Promise<string | undefined> {
  const bucket = (await redis.get(bucketKeyOf(prefix, `a${adapterSessionId}`))) ?? '';
  return bucket.split('\n').find((line) => line.startsWith(`a${adapterSessionId} `));
}

/** The member fingerprints the index of a sid (`s`) or a user (`u`) lists, sorted: compare with memberFingerprints(). */
export async function indexedMembers(redis: RedisClientType, prefix: string, kind: 's' | 'u', id: string): Promise<string[]> {
  const index = addressOf(kind + id);
  const bucket = (await redis.get(redisKeys(prefix).registryBucket(index.bucket))) ?? '';
  return bucket
    .split('\n')
    .filter((line) => line.startsWith(`i${index.fingerprint}`))
    .map((line) => line.slice(9, 17))
    .sort();
}

/**
 * Registers a session the way an instance of the previous layout (earlier 0.2 builds) did: a
 * record key of its fields as a JSON array, and its member in sorted-set indexes by sid and sub.
 */
export async function registerInPreviousLayout(redis: Pick<RedisClientType, 'set' | 'zAdd'>, prefix: string, record: SessionRecord): Promise<void> {
  const keys = redisKeys(prefix);
  const member = recordMember(record)!;
  const expiresAt = record.expiresAt * 1000;
  await redis.set(keys.record(member), encodeSessionRecord(record), { PX: expiresAt - Date.now() });
  if (record.sid !== undefined) await redis.zAdd(keys.sidIndex(record.sid), { score: expiresAt, value: member });
  await redis.zAdd(keys.subIndex(record.sub), { score: expiresAt, value: member });
}

/** The fingerprints the indexes list app sessions by, sorted. */
export function memberFingerprints(...adapterSessionIds: string[]): string[] {
  return adapterSessionIds.map((id) => addressOf(`a${id}`).fingerprint).sort();
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
