import type { Provider } from '@nestjs/common';
import { createCache } from 'cache-manager';
import Keyv from 'keyv';
import { KEYCLOAK_LOGOUT_OPTIONS } from './keycloak-logout.constants.js';
import type { ResolvedKeycloakLogoutOptions } from './options/keycloak-logout-options.interface.js';
import { CacheManagerSessionRegistry } from './registry/cache-manager-session-registry.js';
import { SessionRegistry } from './registry/session-registry.js';
import { LocalRevocationBus, RevocationBus } from './revocation/revocation-bus.js';

/** The default SessionRegistry: cache-manager over the configured cache or Keyv store, else in memory. */
export const sessionRegistryProvider: Provider = {
  provide: SessionRegistry,
  inject: [KEYCLOAK_LOGOUT_OPTIONS],
  useFactory: (options: ResolvedKeycloakLogoutOptions) => {
    if (options.sessionRegistry) return options.sessionRegistry;
    const ttl = options.sessionTtl * 1000;
    const store = options.store === undefined || options.store instanceof Keyv ? options.store : new Keyv({ store: options.store });
    const cache = options.cache ?? createCache({ stores: store ? [store] : undefined, ttl });
    return new CacheManagerSessionRegistry(cache, ttl);
  },
};

/** The configured RevocationBus, else one for this process only. */
export const revocationBusProvider: Provider = {
  provide: RevocationBus,
  inject: [KEYCLOAK_LOGOUT_OPTIONS],
  useFactory: (options: ResolvedKeycloakLogoutOptions) => options.revocationBus ?? new LocalRevocationBus(),
};
