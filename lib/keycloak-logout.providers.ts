import type { Provider } from '@nestjs/common';
import { createCache } from 'cache-manager';
import Keyv from 'keyv';
import { KEYCLOAK_LOGOUT_OPTIONS } from './keycloak-logout.constants.js';
import type { ResolvedKeycloakLogoutOptions } from './options/keycloak-logout-options.interface.js';
import { CacheManagerSessionRegistry } from './registry/cache-manager-session-registry.js';
import { MemorySessionRegistry } from './registry/memory-session-registry.js';
import { SessionRegistry } from './registry/session-registry.js';
import { LocalRevocationBus, RevocationBus } from './revocation/revocation-bus.js';

/**
 * The module's SessionRegistry: the one given as `sessionRegistry`; else cache-manager over the
 * given `cache` or Keyv `store` (which then frees expired entries); else a MemorySessionRegistry,
 * which sweeps them itself. Nest calls lifecycle hooks on the value a factory returns, so the
 * MemorySessionRegistry's onModuleDestroy stops its sweep timer when the app closes.
 */
export const sessionRegistryProvider: Provider = {
  provide: SessionRegistry,
  inject: [KEYCLOAK_LOGOUT_OPTIONS],
  useFactory: (options: ResolvedKeycloakLogoutOptions) => {
    if (options.sessionRegistry) return options.sessionRegistry;
    const { maxSessionsPerUser, sessionTtl } = options;
    if (options.cache === undefined && options.store === undefined) return new MemorySessionRegistry({ maxSessionsPerUser, sessionTtl });
    const ttl = sessionTtl * 1000;
    const store = options.store === undefined || options.store instanceof Keyv ? options.store : new Keyv({ store: options.store });
    const cache = options.cache ?? createCache({ stores: store ? [store] : undefined, ttl });
    return new CacheManagerSessionRegistry(cache, ttl, { maxSessionsPerUser });
  },
};

/** The configured RevocationBus, else one for this process only. */
export const revocationBusProvider: Provider = {
  provide: RevocationBus,
  inject: [KEYCLOAK_LOGOUT_OPTIONS],
  useFactory: (options: ResolvedKeycloakLogoutOptions) => options.revocationBus ?? new LocalRevocationBus(),
};
