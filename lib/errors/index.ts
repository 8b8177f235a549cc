export { KeycloakLogoutError, type KeycloakLogoutErrorCode } from './keycloak-logout.error.js';
export { KeycloakLogoutConfigError } from './keycloak-logout-config.error.js';
export { TokenInvalidError } from './token-invalid.error.js';
export { TokenReplayedError } from './token-replayed.error.js';
export { RequestInvalidError } from './request-invalid.error.js';
export { ProviderUnavailableError } from './provider-unavailable.error.js';
export { LogoutFailedError } from './logout-failed.error.js';
