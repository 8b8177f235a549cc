import type { Provider } from '@nestjs/common';
import { KeycloakSessionTerminator } from './api-logout/keycloak-session-terminator.service.js';
import { BackchannelLogoutService } from './backchannel-logout/backchannel-logout.service.js';
import { FrontchannelLogoutService } from './browser-logout/frontchannel-logout.service.js';
import { RpLogoutService } from './browser-logout/rp-logout.service.js';
import { KeycloakBearerGuard } from './guards/keycloak-bearer.guard.js';
import { KeycloakSessionGuard } from './guards/keycloak-session.guard.js';
import { KeycloakAdminService } from './keycloak-admin/keycloak-admin.service.js';
import { LoginService } from './login/login.service.js';
import { OidcDiscoveryService } from './oidc/oidc-discovery.service.js';
import { RefusalLog } from './refusals/refusal-log.service.js';
import { RevocationStore } from './revocation/revocation-store.js';
import { RevocationService } from './revocation/revocation.service.js';
import { RevokedSessionDestroyer } from './session/revoked-session-destroyer.service.js';
import { SessionStoreAccess } from './session/session-store-access.service.js';
import { AccessTokenVerifierService } from './tokens/access-token-verifier.service.js';
import { AdminActionVerifierService } from './tokens/admin-action-verifier.service.js';
import { IdTokenVerifierService } from './tokens/id-token-verifier.service.js';
import { JwsVerifierService } from './tokens/jws-verifier.service.js';
import { LogoutTokenVerifierService } from './tokens/logout-token-verifier.service.js';
import { SigningKeysService } from './tokens/signing-keys.service.js';
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

/** Every service of the module. */
export const KEYCLOAK_LOGOUT_PROVIDERS: Provider[] = [
  OidcDiscoveryService,
  SigningKeysService,
  JwsVerifierService,
  LogoutTokenVerifierService,
  AdminActionVerifierService,
  AccessTokenVerifierService,
  IdTokenVerifierService,
  BackchannelLogoutService,
  KeycloakAdminService,
  RevocationStore,
  RevocationService,
  KeycloakBearerGuard,
  KeycloakSessionGuard,
  LoginService,
  RpLogoutService,
  FrontchannelLogoutService,
  KeycloakSessionTerminator,
  SessionStoreAccess,
  RevokedSessionDestroyer,
  RefusalLog,
  sessionRegistryProvider,
  revocationBusProvider,
];

/** What the app may inject (the guards need their dependencies from here when used with @UseGuards). */
export const KEYCLOAK_LOGOUT_EXPORTS = [
  KEYCLOAK_LOGOUT_OPTIONS,
  RevocationService,
  SessionRegistry,
  RevocationBus,
  OidcDiscoveryService,
  AccessTokenVerifierService,
  KeycloakBearerGuard,
  KeycloakSessionGuard,
  KeycloakSessionTerminator,
  RefusalLog,
  SessionStoreAccess,
];
