import type { Provider } from '@nestjs/common';
import { packageInstalled } from './contexts/package-installed.js';
import { LiveConnectionCloser } from './live-connections/live-connection-closer.service.js';
import { LiveConnectionRegistry } from './live-connections/live-connection-registry.service.js';
import { LiveConnectionTracker } from './live-connections/live-connection-tracker.service.js';
import { LiveSubscriptionInterceptor } from './live-connections/live-subscription.interceptor.js';
import { SseStreams } from './live-connections/sse-streams.service.js';
import { SubscriptionInterceptorBinding } from './live-connections/subscription-interceptor-binding.js';
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
import { ACCESS_TOKEN_REALMS } from './realms/access-token-realms.js';
import { RealmDirectory } from './realms/realm-directory.service.js';
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
import { KeycloakLogoutTelemetry } from './telemetry/keycloak-logout-telemetry.js';
import { KeycloakLogoutHealth } from './health/keycloak-logout-health.service.js';
import { KEYCLOAK_LOGOUT_OPTIONS } from './keycloak-logout.constants.js';
import type { ResolvedKeycloakLogoutOptions } from './options/keycloak-logout-options.interface.js';
import { MemorySessionRegistry } from './registry/memory-session-registry.js';
import { SessionRegistry } from './registry/session-registry.js';
import { LocalRevocationBus, RevocationBus } from './revocation/revocation-bus.js';

/**
 * The backend's session registry and revocation bus: the configured `backend`, else one process
 * (a MemorySessionRegistry, which sweeps expired records itself, and an in-process bus). Nest
 * calls lifecycle hooks on the value a factory returns, so the MemorySessionRegistry's
 * onModuleDestroy stops its sweep timer when the app closes.
 */
export const sessionRegistryProvider: Provider = {
  provide: SessionRegistry,
  inject: [KEYCLOAK_LOGOUT_OPTIONS],
  useFactory: ({ backend, maxSessionsPerUser, sessionTtl }: ResolvedKeycloakLogoutOptions) =>
    backend?.sessionRegistry ?? new MemorySessionRegistry({ maxSessionsPerUser, sessionTtl }),
};

export const revocationBusProvider: Provider = {
  provide: RevocationBus,
  inject: [KEYCLOAK_LOGOUT_OPTIONS],
  useFactory: ({ backend }: ResolvedKeycloakLogoutOptions) => backend?.revocationBus ?? new LocalRevocationBus(),
};

/**
 * When GraphQL can be used at all: the interceptor that ends the subscriptions the guards admit
 * at logout, bound to the app's subscription resolvers only (SubscriptionInterceptorBinding).
 */
function liveSubscriptionInterceptor(): Provider[] {
  return packageInstalled('@nestjs/graphql') ? [LiveSubscriptionInterceptor, SubscriptionInterceptorBinding] : [];
}

/** Every service of the module. */
export const KEYCLOAK_LOGOUT_PROVIDERS: Provider[] = [
  OidcDiscoveryService,
  SigningKeysService,
  JwsVerifierService,
  LogoutTokenVerifierService,
  AdminActionVerifierService,
  AccessTokenVerifierService,
  IdTokenVerifierService,
  RealmDirectory,
  { provide: ACCESS_TOKEN_REALMS, useExisting: RealmDirectory },
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
  KeycloakLogoutTelemetry,
  KeycloakLogoutHealth,
  LiveConnectionRegistry,
  LiveConnectionTracker,
  LiveConnectionCloser,
  SseStreams,
  ...liveSubscriptionInterceptor(),
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
  RealmDirectory,
  KeycloakBearerGuard,
  KeycloakSessionGuard,
  KeycloakSessionTerminator,
  RefusalLog,
  SessionStoreAccess,
  KeycloakLogoutHealth,
  LiveConnectionRegistry,
  LiveConnectionTracker,
  SseStreams,
];
