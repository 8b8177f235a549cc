import { Logger, type LoggerService } from '@nestjs/common';
import type { LogoutBackend } from '../backend/logout-backend.interface.js';
import { KeycloakLogoutConfigError } from '../errors/keycloak-logout-config.error.js';
import { integer } from '../options/option-checks.js';
import { RedisConnection } from './redis-connection.js';
import { redisKeys } from './redis-keys.js';
import { resolveTopology, type RedisWhereOptions } from './redis-topology-options.js';
import { RedisRevocationBus, type RedisBusStatus } from './redis-revocation-bus.js';
import { readerBlockTime } from './revocation-log-reader.js';
import type { RedisClusterDescription } from './cluster-link.js';
import type { RedisSentinelDescription } from './sentinel-link.js';
import { DEFAULT_MAX_SESSIONS_PER_USER, RedisSessionRegistry } from './redis-session-registry.js';

/** Where Redis is: exactly one of `url`, `client`, `sentinel` or `cluster`. */
export interface RedisLogoutBackendOptions extends RedisWhereOptions {
  /** Redis URL of a single node, e.g. `redis://:secret@redis:6379/0` (`rediss://` for TLS). */
  url?: string;
  /**
   * A node-redis v5 client (`createClient()` from `redis` or `@redis/client`, or a `@keyv/redis`
   * store's `store.client`) whose settings (host, TLS, credentials, database) to copy. The
   * backend opens its own two connections from it and never uses or closes this one. For
   * Sentinel or Cluster, describe them with `sentinel` or `cluster` instead.
   */
  client?: object;
  /** A Sentinel deployment: `{ sentinels: [{ host, port }], name }`, plus credentials. */
  sentinel?: RedisSentinelDescription;
  /** A Redis Cluster: `{ rootNodes: ['redis://host:port', ...] }`, plus credentials. */
  cluster?: RedisClusterDescription;
  /** Prefix of every key. Default `keycloak-logout:`. Instances that share revocations share it. */
  keyPrefix?: string;
  /**
   * Ms the view may go without a complete read of the shared log before it counts as stale
   * (guards then apply `failurePolicy`: refuse with 503 by default). Default 3000.
   */
  maxStaleness?: number;
  /**
   * Sessions the registry keeps per user (1 to 100000). Beyond it, the user's sessions that
   * expire first (with the module's login, the oldest) leave the registry: they are not logged
   * out, only no longer found by logout lookups. Default 1000.
   */
  maxSessionsPerUser?: number;
  /** Ms before a Redis command of a logout or the registry is given up. Default 1000. */
  commandTimeout?: number;
  /**
   * Ms the app's bootstrap waits to read the shared log before serving anyway with a stale view
   * (refused by the default policy) while it keeps trying. Default 10000.
   */
  startTimeout?: number;
  /**
   * Ms between two trims of expired entries off the shared log, and between two checks whether
   * it is worth compacting (see README, "A log that stays small"). Default 60000.
   */
  trimInterval?: number;
  /** Upper bound of the reconnect back-off, ms. Default 1000. */
  maxReconnectDelay?: number;
  /**
   * Ms the view stays stale after Redis comes back from an outage longer than `maxStaleness`
   * (or lost its data), so that every instance has reconnected and written the revocations it
   * enforced meanwhile before any instance trusts its view again. Default `maxReconnectDelay + 1000`.
   */
  recoveryGrace?: number;
  /** Where state changes are logged. Default: Nest's Logger, context `KeycloakLogoutRedis`. */
  logger?: LoggerService;
}

/** `status` is `down` while the revocation view is stale (the guards refuse under the default policy). */
export interface RedisLogoutHealth extends RedisBusStatus {
  status: 'up' | 'down';
}

/** Pass it whole as the module's `backend` option. */
export interface RedisLogoutBackend extends LogoutBackend {
  readonly revocationBus: RedisRevocationBus;
  readonly sessionRegistry: RedisSessionRegistry;
  /** Current state, for logs, metrics and health endpoints. No I/O. */
  readonly health: () => RedisLogoutHealth;
  /**
   * The health as a `@nestjs/terminus` indicator result, `{ [key]: { status, ...details } }`.
   * Use it from a HealthIndicatorService session (`status === 'up' ? session.up(h) : session.down(h)`).
   */
  readonly check: <const K extends string = 'keycloak-logout'>(key?: K) => Record<K, RedisLogoutHealth>;
  /** Closes both Redis connections. Nest's shutdown hooks do it when the module owns the backend. */
  readonly close: () => Promise<void>;
}

const KNOWN_OPTIONS = new Set<string>([
  'url', 'client', 'sentinel', 'cluster', 'keyPrefix', 'maxStaleness', 'maxSessionsPerUser', 'commandTimeout', 'startTimeout',
  'trimInterval', 'maxReconnectDelay', 'recoveryGrace', 'logger',
]);

/** Why an option of an earlier version is gone, appended to its refusal. */
const REMOVED_OPTIONS: Partial<Record<string, string>> = {
  sessionTtl: ' (removed: the registry keeps a session until its record\'s expiresAt, which the module\'s own "sessionTtl" option sets)',
};

/**
 * Shared session registry and instant cross-instance revocation on Redis, for apps running as
 * several instances. Nothing connects until the module starts the bus (or the registry is used).
 *
 * @example
 * KeycloakLogoutModule.forRootAsync({
 *   inject: [ConfigService],
 *   useFactory: (config: ConfigService) => ({
 *     issuer: ..., clientId: ...,
 *     backend: createRedisLogoutBackend({ url: config.getOrThrow('REDIS_URL') }),
 *   }),
 * })
 */
export function createRedisLogoutBackend(options: RedisLogoutBackendOptions): RedisLogoutBackend {
  if (typeof options !== 'object' || options === null) throw new KeycloakLogoutConfigError('redis', 'options must be an object');
  const raw: Record<string, unknown> = { ...options };
  for (const key of Object.keys(raw)) {
    if (!KNOWN_OPTIONS.has(key)) throw new KeycloakLogoutConfigError(`redis.${key}`, `is not a known option${REMOVED_OPTIONS[key] ?? ''}`);
  }
  const { topology, cluster } = resolveTopology(options);
  const keyPrefix = options.keyPrefix ?? 'keycloak-logout:';
  if (typeof keyPrefix !== 'string' || keyPrefix === '') throw new KeycloakLogoutConfigError('redis.keyPrefix', 'must be a non-empty string');

  const maxStaleness = integer(raw.maxStaleness, 'redis.maxStaleness', 3_000, 100, 600_000);
  const maxSessionsPerUser = integer(raw.maxSessionsPerUser, 'redis.maxSessionsPerUser', DEFAULT_MAX_SESSIONS_PER_USER, 1, 100_000);
  const commandTimeout = integer(raw.commandTimeout, 'redis.commandTimeout', 1_000, 50, 60_000);
  const startTimeout = integer(raw.startTimeout, 'redis.startTimeout', 10_000, 0, 600_000);
  const trimInterval = integer(raw.trimInterval, 'redis.trimInterval', 60_000, 1_000, 86_400_000);
  const maxReconnectDelay = integer(raw.maxReconnectDelay, 'redis.maxReconnectDelay', 1_000, 50, 60_000);
  const recoveryGrace = integer(raw.recoveryGrace, 'redis.recoveryGrace', maxReconnectDelay + 1_000, 0, 600_000);
  const logger = options.logger ?? new Logger('KeycloakLogoutRedis');

  const blockMs = readerBlockTime(maxStaleness);
  let lastConnectionError: string | undefined;
  const connection = new RedisConnection(
    {
      topology,
      commandTimeout,
      readerIdleTimeout: blockMs + Math.max(1_000, blockMs),
      maxReconnectDelay,
    },
    (role, error) => {
      // node-redis reports every failed reconnect attempt: log each distinct error once.
      const message = `${role}: ${error instanceof Error ? error.message || error.name : String(error)}`;
      if (message === lastConnectionError) return;
      lastConnectionError = message;
      logger.debug?.(`Redis connection error (${message})`);
    },
  );
  const keys = redisKeys(keyPrefix, { cluster });
  const revocationBus = new RedisRevocationBus(connection, keys, { maxStaleness, commandTimeout, recoveryGrace, startTimeout, trimInterval, logger });
  const sessionRegistry = new RedisSessionRegistry(connection, keys, commandTimeout, logger, maxSessionsPerUser);

  const health = (): RedisLogoutHealth => {
    const status = revocationBus.status();
    return { status: status.stale ? 'down' : 'up', ...status };
  };
  return {
    revocationBus,
    sessionRegistry,
    health,
    check: <const K extends string = 'keycloak-logout'>(key?: K) =>
      ({ [key ?? 'keycloak-logout']: health() }) as Record<K, RedisLogoutHealth>,
    close: () => revocationBus.close(),
  };
}
