/**
 * The login record kept in the app's server-side session under `sessionProperty`
 * (default `req.session.keycloak`). The login flow writes it; apps with their own login can
 * write it themselves.
 */
export interface KeycloakSessionData {
  sub: string;
  /** Keycloak user-session id, from the ID token's `sid`. */
  sid?: string;
  /** Epoch seconds the login happened (the ID token's `iat`). */
  issuedAt: number;
  [key: string]: unknown;
}
