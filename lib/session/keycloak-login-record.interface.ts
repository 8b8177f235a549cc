import type { KeycloakSessionData } from './keycloak-session-data.interface.js';

/**
 * What the login route keeps in the session under `sessionProperty` (default
 * `req.session.keycloak`): the login record the session guard checks, plus the tokens the app
 * and the logout routes need. Read it in handlers with `@CurrentSession()`.
 */
export interface KeycloakLoginRecord extends KeycloakSessionData {
  sub: string;
  /** Keycloak user-session id (the ID token's `sid`). */
  sid?: string;
  /** Epoch seconds: the ID token's `iat`. */
  issuedAt: number;
  clientId: string;
  /** The verified ID token's claims (profile claims, `sid`, `auth_time`, ...). */
  claims: Record<string, unknown>;
  /** The raw ID token, sent as `id_token_hint` at RP-initiated logout. */
  idToken: string;
  accessToken?: string;
  /** Epoch seconds the access token expires, from the token response's `expires_in`. */
  accessTokenExpiresAt?: number;
  /** For API logout (`KeycloakSessionTerminator.logoutWithRefreshToken`) and token refresh. */
  refreshToken?: string;
  /** The `csrf_token` a `POST {prefix}/logout` form must carry. */
  logoutCsrfToken: string;
}
