import { Inject, Injectable } from '@nestjs/common';
import { decodeJwt } from 'jose';
import { TokenInvalidError } from '../errors/token-invalid.error.js';
import { KEYCLOAK_LOGOUT_OPTIONS } from '../keycloak-logout.constants.js';
import { OidcDiscoveryService } from '../oidc/oidc-discovery.service.js';
import type { ResolvedKeycloakLogoutOptions, ResolvedRealmOptions } from '../options/keycloak-logout-options.interface.js';
import { KeycloakLogoutTelemetry } from '../telemetry/keycloak-logout-telemetry.js';
import { AccessTokenVerifierService } from '../tokens/access-token-verifier.service.js';
import { AdminActionVerifierService } from '../tokens/admin-action-verifier.service.js';
import { JwsVerifierService } from '../tokens/jws-verifier.service.js';
import { LogoutTokenVerifierService } from '../tokens/logout-token-verifier.service.js';
import { SigningKeysService } from '../tokens/signing-keys.service.js';
import type { FurtherRealm, Realm } from './realm.interface.js';

/**
 * The options as one further realm sees them: its issuer, client, algorithms, JWKS and audience
 * in place of the primary realm's, everything else shared. Its access tokens are cached by the
 * primary verifier (which dispatches to it), so it keeps no cache of its own.
 */
function optionsOf(options: ResolvedKeycloakLogoutOptions, realm: ResolvedRealmOptions): ResolvedKeycloakLogoutOptions {
  return {
    ...options,
    issuer: realm.issuer,
    clientId: realm.clientId,
    clientSecret: realm.clientSecret,
    algorithms: realm.algorithms,
    adminAlgorithms: realm.adminAlgorithms,
    jwksUri: realm.jwksUri,
    bearer: { ...options.bearer, audience: realm.audience, cacheSize: 0 },
    realms: [],
  };
}

/**
 * The realms the app accepts: the primary realm (the top-level options, through the module's
 * own services) and each realm of `realms`, with a discovery, key set and verifiers of its own
 * built here. Nothing verified by one realm's verifiers can have been signed by another's keys:
 * a token names its realm only by `iss`, which picks the verifiers, and those check the
 * signature with that realm's keys and require that same `iss`.
 */
@Injectable()
export class RealmDirectory {
  readonly primary: Realm;
  private readonly byName = new Map<string, FurtherRealm>();
  private readonly byIssuer = new Map<string, FurtherRealm>();

  constructor(
    @Inject(KEYCLOAK_LOGOUT_OPTIONS) private readonly options: ResolvedKeycloakLogoutOptions,
    telemetry: KeycloakLogoutTelemetry,
    signingKeys: SigningKeysService,
    logoutTokens: LogoutTokenVerifierService,
    adminActions: AdminActionVerifierService,
  ) {
    this.primary = { name: undefined, issuer: options.issuer, clientId: options.clientId, key: undefined, signingKeys, logoutTokens, adminActions };
    for (const realmOptions of options.realms) {
      const view = optionsOf(options, realmOptions);
      const keys = new SigningKeysService(view, new OidcDiscoveryService(view, telemetry), telemetry);
      const jws = new JwsVerifierService(view, keys);
      const realm: FurtherRealm = {
        name: realmOptions.name,
        issuer: realmOptions.issuer,
        clientId: realmOptions.clientId,
        key: realmOptions.issuer,
        signingKeys: keys,
        logoutTokens: LogoutTokenVerifierService.forRealm(view, jws),
        adminActions: AdminActionVerifierService.forRealm(view, jws),
        accessTokens: new AccessTokenVerifierService(view, jws),
      };
      this.byName.set(realm.name, realm);
      this.byIssuer.set(realm.issuer, realm);
    }
  }

  /** The realms of the `realms` option, in their configured order. */
  get further(): FurtherRealm[] {
    return [...this.byName.values()];
  }

  /** A realm of the `realms` option by its name (a route's path segment); undefined when there is none. */
  named(name: string): FurtherRealm | undefined {
    return this.byName.get(name);
  }

  /**
   * The further realm whose verifiers must check an access token, chosen by its *unverified*
   * `iss` from the allow-list; undefined for the primary realm (also when `iss` cannot be read:
   * the primary verifier then refuses the token for what it is). A token naming no configured
   * issuer is refused before any key is looked up.
   */
  forAccessToken(token: string): FurtherRealm | undefined {
    if (this.byIssuer.size === 0) return undefined;
    let iss: unknown;
    try {
      iss = decodeJwt(token).iss;
    } catch {
      return undefined;
    }
    if (iss === undefined || iss === this.options.issuer) return undefined;
    const realm = typeof iss === 'string' ? this.byIssuer.get(iss) : undefined;
    if (realm === undefined) throw new TokenInvalidError('unknown_issuer', 'access token issuer is none of the realms this app accepts');
    return realm;
  }
}
