export { KeycloakLogoutModule } from './keycloak-logout.module.js';
export { BACKCHANNEL_LOGOUT_EVENT } from './keycloak-logout.constants.js';
export type {
  FailurePolicy,
  KeycloakLogoutRoutes,
  LogoutTokenOptions,
  JwksOptions,
  BearerOptions,
  LiveConnectionOptions,
  KeycloakLogoutModuleOptions,
  KeycloakLogoutModuleAsyncOptions,
  KeycloakLogoutAsyncResult,
  KeycloakLogoutOptionsFactory,
  RealmOptions,
} from './options/keycloak-logout-options.interface.js';

export { RevocationService, type RevokeOptions } from './revocation/revocation.service.js';
export { RevocationBus, type RevocationBusHealth, type RevocationListener } from './revocation/revocation-bus.js';
export type {
  Revocation,
  RevocationReason,
  RevocationSource,
  RevocationSubject,
  SidRevocation,
  SubjectRevocation,
  AdapterSessionRevocation,
  NotBeforeRevocation,
} from './revocation/revocation.interface.js';
export type { LogoutEvent, LogoutListener } from './revocation/logout-event.interface.js';

export type { LogoutBackend } from './backend/logout-backend.interface.js';
export { cacheManagerBackend } from './backend/cache-manager-backend.js';
export { SessionRegistry } from './registry/session-registry.js';
export type { SessionCache } from './registry/session-cache.interface.js';
export { CacheManagerSessionRegistry, type CacheManagerSessionRegistryOptions } from './registry/cache-manager-session-registry.js';
export { MemorySessionRegistry, type MemorySessionRegistryOptions } from './registry/memory-session-registry.js';
export type { SessionRecord } from './registry/session-record.interface.js';

export { KeycloakBearerGuard, type RequestWithAccessToken } from './guards/keycloak-bearer.guard.js';
export { KeycloakSessionGuard, type RequestWithSession } from './guards/keycloak-session.guard.js';
export { AccessTokenVerifierService } from './tokens/access-token-verifier.service.js';
export type { VerifiedAccessToken } from './tokens/verified-token-cache.js';
export type { RevocationMemo } from './revocation/revocation-memo.js';
export type { AccessTokenClaims } from './tokens/access-token-claims.interface.js';
export type { KeycloakSessionData } from './session/keycloak-session-data.interface.js';
export type { ContextKind } from './contexts/context-kind.js';
export type { RefusalPayload } from './contexts/native-refusal.js';
export { LiveConnectionRegistry } from './live-connections/live-connection-registry.service.js';
export type { LiveConnection, LiveConnectionKind, TrackedConnection } from './live-connections/live-connection.interface.js';
export { LOGOUT_EVENT } from './live-connections/live-connection-tracker.service.js';
export { LiveSubscriptionInterceptor } from './live-connections/live-subscription.interceptor.js';
export { SseStreams, SSE_LOGOUT_EVENT } from './live-connections/sse-streams.service.js';
export { RefusalLog, type Refusal, type RefusalChannel, type RefusalListener } from './refusals/refusal-log.service.js';

export { Public } from './decorators/public.decorator.js';
export { Roles } from './decorators/roles.decorator.js';
export { Scopes } from './decorators/scopes.decorator.js';
export type { AccessRequirementInput, MatchMode } from './authorization/access-requirement.js';
export { KeepOpenAtLogout } from './decorators/keep-open-at-logout.decorator.js';
export { CurrentToken } from './decorators/current-token.decorator.js';
export { CurrentSession } from './decorators/current-session.decorator.js';

export { KeycloakSessionTerminator, type TokenTypeHint } from './api-logout/keycloak-session-terminator.service.js';
export type { KeycloakLoginRecord } from './session/keycloak-login-record.interface.js';

export { OidcDiscoveryService } from './oidc/oidc-discovery.service.js';
export { KeycloakLogoutHealth } from './health/keycloak-logout-health.service.js';
export type { KeycloakLogoutHealthReport, KeycloakLogoutHealthStatus } from './health/keycloak-logout-health-report.interface.js';
export type { TelemetryOptions } from './telemetry/telemetry-options.js';
export type { LogoutOutcome, LogoutPath } from './telemetry/telemetry-names.js';
export type { OidcProviderMetadata } from './oidc/oidc-metadata.interface.js';
export type { LogoutTokenClaims } from './tokens/logout-token-claims.interface.js';

export * from './errors/index.js';

export { runDoctor, type DoctorReport } from './doctor/run-doctor.js';
export type { DoctorOptions, AdminCredentials } from './doctor/doctor-options.js';
export type { Finding, Severity } from './doctor/finding.js';
export { formatReport } from './doctor/format-report.js';
