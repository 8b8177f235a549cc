import { Inject } from '@nestjs/common';
import { KEYCLOAK_LOGOUT_OPTIONS } from '../keycloak-logout.constants.js';
import type { ResolvedKeycloakLogoutOptions } from '../options/keycloak-logout-options.interface.js';
import { JwsVerifierService } from './jws-verifier.service.js';

/** What the verifiers of realm-signed tokens share: the module's options and the signature check. */
export abstract class RealmTokenVerifier {
  @Inject(KEYCLOAK_LOGOUT_OPTIONS) protected readonly options!: ResolvedKeycloakLogoutOptions;
  @Inject(JwsVerifierService) protected readonly jws!: JwsVerifierService;

  /** A verifier of a further realm (lib/realms), outside DI: that realm's options and signature check. */
  static forRealm<T extends RealmTokenVerifier>(this: new () => T, options: ResolvedKeycloakLogoutOptions, jws: JwsVerifierService): T {
    return Object.assign(new this(), { options, jws });
  }
}
