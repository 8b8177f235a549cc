/** The actions Keycloak posts to a client's Admin URL (docs/keycloak-protocol.md §2.2). */
export type AdminActionName = 'LOGOUT' | 'PUSH_NOT_BEFORE' | 'TEST_AVAILABILITY';

/** A verified admin action. Keycloak's AdminAction is not a JWT: no iss, iat or aud. */
export interface AdminAction {
  id?: string;
  action: AdminActionName;
  /** Epoch seconds; Keycloak sets now + 30. */
  expiration: number;
  /** The client id the action is for. */
  resource: string;
  /** LOGOUT: this app's session ids, as it sent them in `client_session_state`. */
  adapterSessionIds: string[];
  /** LOGOUT (newer Keycloak): the Keycloak user-session ids (`sid`). */
  keycloakSessionIds: string[];
  /** LOGOUT and PUSH_NOT_BEFORE: epoch seconds; 0 when not set. */
  notBefore: number;
}
