import { fail, integer, isRecord, optionalString, requiredString, section } from '../options/option-checks.js';
import { clientTopology, isAppRedisClient } from './client-link.js';
import { clusterTopology, type RedisClusterDescription } from './cluster-link.js';
import type { RedisTopology } from './redis-link.js';
import { sentinelTopology, type RedisSentinelDescription } from './sentinel-link.js';

/** The four ways to say where Redis is; createRedisLogoutBackend takes exactly one. */
export interface RedisWhereOptions {
  url?: string;
  client?: object;
  sentinel?: RedisSentinelDescription;
  cluster?: RedisClusterDescription;
}

const WHERE = ['url', 'client', 'sentinel', 'cluster'] as const;
const SENTINEL_KEYS = ['sentinels', 'name', 'username', 'password', 'sentinelUsername', 'sentinelPassword', 'database'];
const CLUSTER_KEYS = ['rootNodes', 'username', 'password'];
const REDIS_URL = /^rediss?:\/\//;

function nonEmptyArray(value: unknown, option: string): unknown[] {
  if (!Array.isArray(value) || value.length === 0) fail(option, 'must be a non-empty array');
  return value as unknown[];
}

function sentinelDescription(value: unknown): RedisSentinelDescription {
  const input = section({ 'redis.sentinel': value }, 'redis.sentinel', SENTINEL_KEYS);
  const sentinels = nonEmptyArray(input.sentinels, 'redis.sentinel.sentinels').map((node, i) => {
    const option = `redis.sentinel.sentinels[${i}]`;
    if (!isRecord(node)) fail(option, 'must be { host, port }');
    return { host: requiredString(node.host, `${option}.host`), port: integer(node.port ?? 'missing', `${option}.port`, 0, 1, 65_535) };
  });
  const credential = (key: string) => optionalString(input[key], `redis.sentinel.${key}`);
  return {
    sentinels,
    name: requiredString(input.name, 'redis.sentinel.name'),
    username: credential('username'),
    password: credential('password'),
    sentinelUsername: credential('sentinelUsername'),
    sentinelPassword: credential('sentinelPassword'),
    database: input.database === undefined ? undefined : integer(input.database, 'redis.sentinel.database', 0, 0, 1_000_000),
  };
}

function clusterDescription(value: unknown): RedisClusterDescription {
  const input = section({ 'redis.cluster': value }, 'redis.cluster', CLUSTER_KEYS);
  const rootNodes = nonEmptyArray(input.rootNodes, 'redis.cluster.rootNodes').map((url, i) => {
    if (typeof url !== 'string' || !REDIS_URL.test(url)) fail(`redis.cluster.rootNodes[${i}]`, 'must be a redis:// or rediss:// URL');
    return url;
  });
  return {
    rootNodes,
    username: optionalString(input.username, 'redis.cluster.username'),
    password: optionalString(input.password, 'redis.cluster.password'),
  };
}

/**
 * Where Redis is, from exactly one of `url`, `client`, `sentinel` or `cluster`: two of them
 * could point at different servers, and instances that disagree on the server do not share
 * revocations, so an ambiguous configuration is refused rather than resolved by precedence.
 * `cluster` also tells the key layout (hash-tagged log keys, see redisKeys).
 */
export function resolveTopology(options: RedisWhereOptions): { topology: RedisTopology; cluster: boolean } {
  const given = WHERE.filter((key) => options[key] !== undefined);
  if (given.length !== 1) {
    const got = given.length === 0 ? 'none' : given.map((key) => `"${key}"`).join(' and ');
    fail('redis', `needs exactly one of "url", "client", "sentinel" or "cluster" (got ${got})`);
  }
  const { url, client, sentinel, cluster } = options;
  if (url !== undefined) {
    if (typeof url !== 'string' || !REDIS_URL.test(url)) fail('redis.url', 'must be a redis:// or rediss:// URL');
    return { topology: clientTopology({ url }), cluster: false };
  }
  if (client !== undefined) {
    if (!isAppRedisClient(client)) {
      fail('redis.client', 'must be a node-redis v5 client from createClient() (for Sentinel or Cluster, give "sentinel" or "cluster")');
    }
    return { topology: clientTopology({ client }), cluster: false };
  }
  if (sentinel !== undefined) return { topology: sentinelTopology(sentinelDescription(sentinel)), cluster: false };
  return { topology: clusterTopology(clusterDescription(cluster)), cluster: true };
}
