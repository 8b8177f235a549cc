/** Injection token of the validated module options (`ResolvedKeycloakLogoutOptions`). */
export const KEYCLOAK_LOGOUT_OPTIONS = Symbol('KEYCLOAK_LOGOUT:OPTIONS');

/** Metadata key set by `@Public()`. */
export const IS_PUBLIC_KEY = 'KEYCLOAK_LOGOUT:public';

/** The event member of a logout token (OIDC Back-Channel Logout 1.0 §2.4). */
export const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

/** Metadata keys set by `@Roles()` and `@Scopes()`. */
export const REQUIRED_ROLES_KEY = 'KEYCLOAK_LOGOUT:roles';
export const REQUIRED_SCOPES_KEY = 'KEYCLOAK_LOGOUT:scopes';
/** Metadata key set by `@KeepOpenAtLogout()`. */
export const KEEP_OPEN_AT_LOGOUT_KEY = 'KEYCLOAK_LOGOUT:keep-open-at-logout';
