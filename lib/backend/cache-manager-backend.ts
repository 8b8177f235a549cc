import { CacheManagerSessionRegistry, type CacheManagerSessionRegistryOptions } from '../registry/cache-manager-session-registry.js';
import type { SessionCache } from '../registry/session-cache.interface.js';
import { LocalRevocationBus } from '../revocation/revocation-bus.js';
import type { LogoutBackend } from './logout-backend.interface.js';

/**
 * A backend whose session registry lives in a cache-manager cache, e.g. the app's
 * `CACHE_MANAGER` from `@nestjs/cache-manager` or `createCache({ stores: [keyv] })`; revocations
 * stay in this process. For several instances use `createRedisLogoutBackend()` instead, which
 * also carries revocations between them.
 *
 * @example
 * KeycloakLogoutModule.forRootAsync({
 *   inject: [CACHE_MANAGER],
 *   useFactory: (cache: Cache) => ({ issuer, clientId, backend: cacheManagerBackend(cache) }),
 * })
 */
export function cacheManagerBackend(cache: SessionCache, options: CacheManagerSessionRegistryOptions = {}): LogoutBackend {
  return { revocationBus: new LocalRevocationBus(), sessionRegistry: new CacheManagerSessionRegistry(cache, options) };
}
