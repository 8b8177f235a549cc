import { Inject, Injectable } from '@nestjs/common';
import { createRemoteJWKSet, type JWTVerifyGetKey } from 'jose';
import { KEYCLOAK_LOGOUT_OPTIONS } from '../keycloak-logout.constants.js';
import type { ResolvedKeycloakLogoutOptions } from '../options/keycloak-logout-options.interface.js';
import { OidcDiscoveryService } from './oidc-discovery.service.js';

/**
 * The realm's public keys, from its JWKS. jose refetches the set when a token names an unknown
 * `kid` (key rotation), at most once per `jwks.cooldown`, so a flood of bogus kids cannot turn
 * into a flood of requests to the OP.
 */
@Injectable()
export class SigningKeysService {
  private keySet?: JWTVerifyGetKey;

  constructor(
    @Inject(KEYCLOAK_LOGOUT_OPTIONS) private readonly options: ResolvedKeycloakLogoutOptions,
    private readonly discovery: OidcDiscoveryService,
  ) {}

  async getKeySet(): Promise<JWTVerifyGetKey> {
    if (this.keySet) return this.keySet;
    const jwksUri = this.options.jwksUri ?? (await this.discovery.metadata()).jwks_uri;
    this.keySet ??= createRemoteJWKSet(new URL(jwksUri), {
      cooldownDuration: this.options.jwks.cooldown,
      cacheMaxAge: this.options.jwks.cacheMaxAge,
      timeoutDuration: this.options.jwks.timeout,
    });
    return this.keySet;
  }
}
