import type { SessionRegistry } from '../registry/session-registry.js';
import type { RevocationBus } from '../revocation/revocation-bus.js';

/**
 * Where the module keeps what its instances share: the session registry (who is logged in
 * where) and the revocation bus (how a logout reaches every instance). The default is one
 * process (a MemorySessionRegistry and an in-process bus); `createRedisLogoutBackend()` from
 * `nestjs-keycloak-logout/redis` returns one for several instances, `cacheManagerBackend()` one
 * whose registry lives in a cache-manager cache.
 */
export interface LogoutBackend {
  readonly revocationBus: RevocationBus;
  readonly sessionRegistry: SessionRegistry;
}
