/** One login of a user into this app, as the registry keeps it. */
export interface SessionRecord {
  /** The app's own session id (express-session `req.sessionID`), sent to Keycloak as `client_session_state`. */
  adapterSessionId?: string;
  /** Keycloak user-session id (`sid` claim of the ID and access tokens). */
  sid?: string;
  sub: string;
  clientId: string;
  /** Epoch seconds the session was established (the ID token's `iat`). */
  issuedAt: number;
  /** The issuer of its realm when that is a realm of the `realms` option; absent for the primary realm. */
  issuer?: string;
  /** Epoch seconds after which the record is dropped. */
  expiresAt: number;
}
