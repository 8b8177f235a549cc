/** A verified logout token, reduced to what the library acts on. */
export interface LogoutTokenClaims {
  iss: string;
  jti: string;
  iat: number;
  exp?: number;
  sub?: string;
  sid?: string;
  /** Keycloak's `revoke_offline_access: true` member of `events`. */
  revokeOfflineAccess: boolean;
}
