import { keycloakLogoutToken, type KeycloakTokenSigner } from '../../lib/testing/index.js';

export { BACKCHANNEL_LOGOUT_EVENT as BACKCHANNEL_EVENT } from '../../lib/keycloak-logout.constants.js';

export interface LogoutTokenInput {
  realm: KeycloakTokenSigner;
  clientId: string;
  sub?: string;
  sid?: string;
  iat?: number;
  revokeOfflineAccess?: boolean;
}

/*
 * Keycloak's logout tokens version by version (docs/keycloak-protocol.md §1.3-1.4), built by the
 * testing kit (lib/testing/keycloak-tokens.ts) so that the project's tests and users' tests send
 * the same thing.
 */
function kit({ realm, ...input }: LogoutTokenInput, keycloakVersion: number, claims?: Record<string, unknown>, header?: Record<string, unknown>) {
  return keycloakLogoutToken(realm, { ...input, keycloakVersion, ...(claims ? { claims } : {}), ...(header ? { header } : {}) });
}

/** Keycloak 22.0.0-22.0.x before the backport: header typ "JWT", no exp. */
export function keycloak22LogoutToken(input: LogoutTokenInput): Promise<string> {
  return kit(input, 22);
}

/** Keycloak 24: header typ "JWT", exp = iat + 120. */
export function keycloak24LogoutToken(input: LogoutTokenInput): Promise<string> {
  return kit(input, 24);
}

/** Keycloak 25+ (26 here): header typ "logout+jwt", exp = iat + 120. */
export function keycloak26LogoutToken(input: LogoutTokenInput): Promise<string> {
  return kit(input, 26);
}

/** A Keycloak 26 token with arbitrary changes to its claims (undefined deletes) or header. */
export function mutatedLogoutToken(input: LogoutTokenInput, claims: Record<string, unknown>, header: Record<string, unknown> = {}): Promise<string> {
  return kit(input, 26, claims, header);
}
