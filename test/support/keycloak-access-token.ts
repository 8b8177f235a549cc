import { keycloakAccessToken as kitAccessToken, type KeycloakTokenSigner } from '../../lib/testing/index.js';

/**
 * The testing kit's Keycloak access token (lib/testing/keycloak-tokens.ts) in the call shape the
 * project's tests use: `extra` claims added or replaced, the header as a third argument.
 */
export function keycloakAccessToken(
  realm: KeycloakTokenSigner,
  input: { clientId: string; sub: string; sid?: string; iat?: number; exp?: number; extra?: Record<string, unknown> },
  header: Record<string, unknown> = {},
): Promise<string> {
  const { extra, ...claims } = input;
  return kitAccessToken(realm, { ...claims, ...(extra ? { claims: extra } : {}), header });
}
