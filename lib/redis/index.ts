/**
 * `nestjs-keycloak-logout/redis`: the session registry and the revocation bus on Redis, for apps
 * running as several instances. Needs the optional peer dependency `redis` (node-redis v5) and
 * Redis 7 or later. The main entry point never imports this one.
 */
export {
  createRedisLogoutBackend,
  type RedisLogoutBackend,
  type RedisLogoutBackendOptions,
  type RedisLogoutHealth,
} from './create-redis-logout-backend.js';
export { RedisRevocationBus, type RedisBusState, type RedisBusStatus, type RedisRevocationBusOptions } from './redis-revocation-bus.js';
export { RedisSessionRegistry } from './redis-session-registry.js';
export { redisKeys, type RedisKeys } from './redis-keys.js';
export type { RedisSentinelDescription } from './sentinel-link.js';
export type { RedisClusterDescription } from './cluster-link.js';
