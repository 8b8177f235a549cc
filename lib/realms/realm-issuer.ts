import type { ResolvedKeycloakLogoutOptions } from '../options/keycloak-logout-options.interface.js';

type RealmConfig = Pick<ResolvedKeycloakLogoutOptions, 'issuer' | 'realms'>;

/**
 * How revocations, session records and live connections name their realm: undefined for the
 * primary realm (so everything written before several realms existed keeps meaning it), the
 * issuer for a realm of `realms`. `iss` must be a verified issuer.
 */
export function realmKeyOfIssuer(options: Pick<RealmConfig, 'issuer'>, iss: unknown): string | undefined {
  return typeof iss !== 'string' || iss === options.issuer ? undefined : iss;
}

/** This app's client id in the realm that issued a verified token (its `iss`): whose client roles `@Roles` reads. */
export function clientIdOfIssuer(options: Pick<ResolvedKeycloakLogoutOptions, 'issuer' | 'clientId' | 'realms'>, iss: unknown): string {
  if (iss === options.issuer || options.realms.length === 0) return options.clientId;
  return options.realms.find((realm) => realm.issuer === iss)?.clientId ?? options.clientId;
}

/**
 * The realm key of a realm the app's code names (RevocationService's `{ realm }` option): a
 * realm's `name` or any configured issuer; undefined (the primary realm) when not named. A name
 * that is no configured realm is a programming error, refused rather than guessed.
 */
export function realmKeyOfName(options: RealmConfig, realm: string | undefined): string | undefined {
  if (realm === undefined || realm === options.issuer) return undefined;
  const found = options.realms.find((candidate) => candidate.name === realm || candidate.issuer === realm);
  if (found === undefined) throw new RangeError(`no configured realm is named ${JSON.stringify(realm).slice(0, 80)} (give a name from the realms option, or an issuer)`);
  return found.issuer;
}
