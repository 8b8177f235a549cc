import { Inject, Injectable } from '@nestjs/common';
import {
  compactVerify,
  errors,
  jwtVerify,
  type JWTHeaderParameters,
  type JWTPayload,
  type CompactJWSHeaderParameters,
} from 'jose';
import { ProviderUnavailableError } from '../errors/provider-unavailable.error.js';
import { TokenInvalidError, type TokenInvalidReason } from '../errors/token-invalid.error.js';
import { KEYCLOAK_LOGOUT_OPTIONS } from '../keycloak-logout.constants.js';
import type { ResolvedKeycloakLogoutOptions } from '../options/keycloak-logout-options.interface.js';
import { SigningKeysService } from './signing-keys.service.js';

const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

export interface JwtCheck {
  /** Token kind, for error messages ("logout token", "access token"). */
  kind: string;
  audience?: string | string[];
  requiredClaims?: string[];
  /** Seconds; also rejects an `iat` in the future. */
  maxTokenAge?: number;
}

/**
 * The one place where signatures are checked: realm keys only, algorithms pinned to the
 * configured list (never from the token or the OP's metadata), `none` and HMAC impossible.
 * Failures to reach the JWKS become ProviderUnavailableError; anything wrong with the token
 * becomes TokenInvalidError. Error messages never include the token.
 */
@Injectable()
export class JwsVerifierService {
  constructor(
    @Inject(KEYCLOAK_LOGOUT_OPTIONS) private readonly options: ResolvedKeycloakLogoutOptions,
    private readonly keys: SigningKeysService,
  ) {}

  /** Verifies a signed JWT issued by the realm (signature, `iss`, time claims, optional `aud`). */
  async verifyJwt(token: string, check: JwtCheck): Promise<{ payload: JWTPayload; header: JWTHeaderParameters }> {
    this.assertCompactJws(token, check);
    // Once the key set exists, it is used without waiting on a promise.
    const keySet = this.keys.keySetInHand ?? (await this.keys.getKeySet());
    try {
      const { payload, protectedHeader } = await jwtVerify(token, keySet, {
        algorithms: this.options.algorithms,
        issuer: this.options.issuer,
        audience: check.audience,
        clockTolerance: this.options.clockTolerance,
        requiredClaims: check.requiredClaims,
        maxTokenAge: check.maxTokenAge,
      });
      return { payload, header: protectedHeader };
    } catch (error) {
      throw this.translate(error, check);
    }
  }

  /** Verifies a compact JWS whose payload is not a JWT claims set (Keycloak admin actions). */
  async verifyJws(token: string, check: JwtCheck): Promise<{ payload: Uint8Array; header: CompactJWSHeaderParameters }> {
    this.assertCompactJws(token, check);
    const keySet = await this.keys.getKeySet();
    try {
      // Keycloak signs admin actions with the realm's default algorithm (see adminAlgorithms).
      const { payload, protectedHeader } = await compactVerify(token, keySet, { algorithms: this.options.adminAlgorithms });
      return { payload, header: protectedHeader };
    } catch (error) {
      throw this.translate(error, check);
    }
  }

  private assertCompactJws(token: string, check: Pick<JwtCheck, 'kind'>): void {
    // A well-formed JWS passes with one scan; only a refused token is looked at again, to say why.
    if (COMPACT_JWS.test(token)) return;
    if (token.split('.').length === 5) {
      throw this.reject('signature', `${check.kind} is encrypted (JWE); a signed JWS is expected`);
    }
    throw this.reject('signature', `${check.kind} is not a compact JWS`);
  }

  private reject(reason: TokenInvalidReason, message: string, cause?: unknown): TokenInvalidError {
    return new TokenInvalidError(reason, message, { cause });
  }

  private translate(error: unknown, check: JwtCheck): Error {
    if (error instanceof errors.JWKSTimeout || !(error instanceof errors.JOSEError)) {
      return new ProviderUnavailableError('the realm JWKS could not be fetched', { cause: error });
    }
    if (error.code === 'ERR_JOSE_GENERIC') {
      // jose's remote key set reports a non-200 JWKS response this way.
      return new ProviderUnavailableError('the realm JWKS could not be fetched', { cause: error });
    }
    if (error instanceof errors.JWKSNoMatchingKey) return this.reject('signature', `${check.kind} is signed with a key the realm does not publish`, error);
    if (error instanceof errors.JWSSignatureVerificationFailed) return this.reject('signature', `${check.kind} signature is invalid`, error);
    if (error instanceof errors.JOSEAlgNotAllowed) return this.reject('signature', `${check.kind} algorithm is not allowed`, error);
    if (error instanceof errors.JWTExpired && error.claim === 'exp') return this.reject('expired', `${check.kind} has expired`, error);
    if (error instanceof errors.JWTClaimValidationFailed || error instanceof errors.JWTExpired) {
      return this.reject('claims', `${check.kind} claim "${error.claim}" is invalid: ${error.reason} (${error.message})`, error);
    }
    return this.reject('signature', `${check.kind} is malformed: ${error.message}`, error);
  }
}
