/** Where the realm's Admin REST API lives, derived from an issuer `https://kc[/auth]/realms/{realm}`. */
export interface RealmLocation {
  /** `https://kc` or `https://kc/auth`: the base of `/realms/...` and `/admin/realms/...`. */
  base: string;
  realm: string;
}

export function realmLocation(issuer: string): RealmLocation | undefined {
  const match = /^(https?:\/\/.+?)\/realms\/([^/?#]+)\/?$/.exec(issuer);
  if (!match) return undefined;
  return { base: match[1]!, realm: decodeURIComponent(match[2]!) };
}

export function tokenEndpoint(location: RealmLocation, realm: string): string {
  return `${location.base}/realms/${encodeURIComponent(realm)}/protocol/openid-connect/token`;
}

export function adminRealmUrl(location: RealmLocation): string {
  return `${location.base}/admin/realms/${encodeURIComponent(location.realm)}`;
}
