/**
 * The fields the doctor reads of Keycloak's Admin REST representations, named exactly as
 * Keycloak's `ClientRepresentation` and `RealmRepresentation` (core/src/main/java/org/keycloak/
 * representations/idm/) and the client attribute keys of `OIDCConfigAttributes` and `Constants`
 * (docs/keycloak-protocol.md §10). Every field may be absent.
 */
export interface ClientRepresentation {
  id?: string;
  clientId?: string;
  enabled?: boolean;
  rootUrl?: string;
  adminUrl?: string;
  redirectUris?: string[];
  frontchannelLogout?: boolean;
  protocol?: string;
  attributes?: Record<string, string>;
}

export interface RealmRepresentation {
  realm?: string;
  defaultSignatureAlgorithm?: string;
}

/** Client attribute keys (values are always strings in the representation). */
export const CLIENT_ATTRIBUTES = {
  backchannelLogoutUrl: 'backchannel.logout.url',
  backchannelLogoutSessionRequired: 'backchannel.logout.session.required',
  backchannelLogoutRevokeOfflineTokens: 'backchannel.logout.revoke.offline.tokens',
  postLogoutRedirectUris: 'post.logout.redirect.uris',
  idTokenSignedResponseAlg: 'id.token.signed.response.alg',
  accessTokenSignedResponseAlg: 'access.token.signed.response.alg',
  lightweightAccessToken: 'client.use.lightweight.access.token.enabled',
} as const;

/** Keycloak's `Constants.DEFAULT_SIGNATURE_ALGORITHM`, used when the realm names none. */
export const KEYCLOAK_DEFAULT_SIGNATURE_ALGORITHM = 'RS256';

export function attribute(client: ClientRepresentation, key: string): string | undefined {
  const value = client.attributes?.[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Keycloak's boolean attributes are `Boolean.parseBoolean` of the string: only "true" is on. */
export function attributeOn(client: ClientRepresentation, key: string): boolean {
  return attribute(client, key)?.toLowerCase() === 'true';
}

/** The realm's default signature algorithm, RS256 when unset. */
export function realmDefaultAlgorithm(realm: RealmRepresentation | undefined): string {
  return realm?.defaultSignatureAlgorithm || KEYCLOAK_DEFAULT_SIGNATURE_ALGORITHM;
}

/**
 * A client URL as Keycloak calls it: relative URLs are resolved against the Root URL
 * (ResolveRelative.resolveRelativeUri). Undefined when it cannot be resolved.
 */
export function resolveClientUrl(client: ClientRepresentation, value: string): URL | undefined {
  const substituted = value.replace('${application.session.host}', 'application-session-host.invalid');
  try {
    return new URL(substituted, client.rootUrl || undefined);
  } catch {
    return undefined;
  }
}

/** Whether the URL's host is Keycloak's `${application.session.host}` placeholder. */
export function usesSessionHost(value: string): boolean {
  return value.includes('${application.session.host}');
}
