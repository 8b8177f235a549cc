import type { AccessTokenClaims } from '../tokens/access-token-claims.interface.js';

/**
 * What the access-token verifier needs of the realm directory, under a token of its own so that
 * lib/tokens does not import lib/realms (which builds verifiers from lib/tokens).
 */
export const ACCESS_TOKEN_REALMS = Symbol('KEYCLOAK_LOGOUT:ACCESS_TOKEN_REALMS');

export interface AccessTokenRealms {
  /**
   * The further realm that must verify the token (its verifier, and its `key`, the issuer its
   * revocations carry), undefined for the primary realm; throws for an unknown issuer.
   */
  forAccessToken(token: string): { key: string; accessTokens: { verify(token: string): Promise<AccessTokenClaims> } } | undefined;
}
