import type { JWTPayload } from 'jose';

/** A verified Keycloak access token's claims, as the bearer guard attaches them to the request. */
export interface AccessTokenClaims extends JWTPayload {
  iss: string;
  iat: number;
  exp: number;
  sub?: string;
  /** Keycloak user-session id. */
  sid?: string;
  /** The client the token was issued to. */
  azp?: string;
}
