import { Inject, Injectable, Logger } from '@nestjs/common';
import { KeycloakLogoutError } from '../errors/keycloak-logout.error.js';
import { LogoutFailedError } from '../errors/logout-failed.error.js';
import { TokenReplayedError } from '../errors/token-replayed.error.js';
import { KEYCLOAK_LOGOUT_OPTIONS } from '../keycloak-logout.constants.js';
import type { ResolvedKeycloakLogoutOptions } from '../options/keycloak-logout-options.interface.js';
import { SessionRegistry } from '../registry/session-registry.js';
import { RevocationService } from '../revocation/revocation.service.js';
import type { Revocation } from '../revocation/revocation.interface.js';
import { fingerprint } from '../utils/fingerprint.js';
import type { LogoutTokenClaims } from '../tokens/logout-token-claims.interface.js';
import { LogoutTokenVerifierService } from '../tokens/logout-token-verifier.service.js';
import type { Realm } from '../realms/realm.interface.js';

/** The realm a logout token was posted for: its name (none for the primary realm) and its verifier. */
export type LogoutTokenRealm = Pick<Realm, 'name' | 'logoutTokens'>;

/**
 * Carries out one back-channel logout request: validate the token, reject a replayed `jti`,
 * then revoke the `sid` (or, without one, everything issued to `sub` up to the token's `iat`).
 * Nothing is revoked unless every check passed.
 */
@Injectable()
export class BackchannelLogoutService {
  private readonly logger = new Logger(BackchannelLogoutService.name);

  constructor(
    @Inject(KEYCLOAK_LOGOUT_OPTIONS) private readonly options: ResolvedKeycloakLogoutOptions,
    private readonly verifier: LogoutTokenVerifierService,
    private readonly registry: SessionRegistry,
    private readonly revocations: RevocationService,
  ) {}

  /**
   * `realm`: a further realm whose route received the token; it is verified with that realm's
   * keys and issuer only, and revokes in that realm only. Default: the primary realm.
   */
  async logout(token: string, realm?: LogoutTokenRealm): Promise<{ claims: LogoutTokenClaims; revocations: Revocation[] }> {
    const claims = await (realm?.logoutTokens ?? this.verifier).verify(token);
    const replayKey = `${claims.iss}#${claims.jti}`;
    if (!(await this.registry.claimTokenId(replayKey, this.replayWindowMs(claims)))) {
      this.logger.warn(`back-channel logout refused: replayed jti ${fingerprint(claims.jti)}`);
      throw new TokenReplayedError();
    }
    try {
      const options = { source: 'backchannel-logout', revokeOfflineAccess: claims.revokeOfflineAccess, realm: realm?.name } as const;
      const revocations = claims.sid !== undefined
        ? await this.revocations.revokeSid(claims.sid, options)
        : await this.revocations.revokeSubject(claims.sub as string, { ...options, issuedBefore: claims.iat });
      this.logger.log(
        claims.sid !== undefined
          ? `back-channel logout: revoked sid ${fingerprint(claims.sid)}`
          : `back-channel logout: revoked everything issued to sub ${fingerprint(claims.sub as string)} up to iat ${claims.iat}`,
      );
      return { claims, revocations };
    } catch (error) {
      // Let the OP retry the same token: the logout did not happen.
      await this.registry.releaseTokenId(replayKey).catch(() => undefined);
      if (error instanceof KeycloakLogoutError) throw error;
      throw new LogoutFailedError('not_recorded', 'the logout could not be recorded', { cause: error });
    }
  }

  /** Long enough that the token is rejected by its age or `exp` before it is forgotten here. */
  private replayWindowMs(claims: LogoutTokenClaims): number {
    const tolerance = this.options.clockTolerance;
    const lastValid = Math.max(claims.exp ?? 0, claims.iat + this.options.logoutToken.maxAge) + tolerance;
    return Math.max(1_000, lastValid * 1000 - Date.now() + 1_000);
  }
}
