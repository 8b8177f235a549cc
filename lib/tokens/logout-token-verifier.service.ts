import { Injectable } from '@nestjs/common';
import { decodeProtectedHeader, type JWTPayload } from 'jose';
import { TokenInvalidError } from '../errors/token-invalid.error.js';
import { BACKCHANNEL_LOGOUT_EVENT } from '../keycloak-logout.constants.js';
import { RealmTokenVerifier } from './realm-token-verifier.js';
import type { LogoutTokenClaims } from './logout-token-claims.interface.js';
import { headerTypeAllowed, isIdentifier, isPlainObject } from './token-rules.js';

function optionalId(payload: JWTPayload, claim: 'sub' | 'sid'): string | undefined {
  const value = payload[claim];
  if (value === undefined) return undefined;
  if (!isIdentifier(value)) {
    throw new TokenInvalidError('claims', `logout token claim "${claim}" must be a non-empty string`);
  }
  return value;
}

/**
 * Validates a logout token per OIDC Back-Channel Logout 1.0 (errata 1) §2.6, with the
 * variations Keycloak really sends (docs/keycloak-protocol.md §1.3-1.4). Replay (step 8) is checked
 * by the caller against the registry, because it needs shared state.
 */
@Injectable()
export class LogoutTokenVerifierService extends RealmTokenVerifier {
  async verify(token: string): Promise<LogoutTokenClaims> {
    this.checkType(token);
    const rules = this.options.logoutToken;
    // Steps 2-4: signature, pinned alg, iss, aud, iat, exp. `maxTokenAge` bounds tokens without
    // `exp` (Keycloak < 24) and rejects an `iat` in the future.
    const { payload } = await this.jws.verifyJwt(token, {
      kind: 'logout token',
      audience: this.options.clientId,
      requiredClaims: rules.requireExp ? ['iat', 'exp', 'jti'] : ['iat', 'jti'],
      maxTokenAge: rules.maxAge,
    });

    const sub = optionalId(payload, 'sub');
    const sid = optionalId(payload, 'sid');
    // Step 5: sub, sid, or both.
    if (sub === undefined && sid === undefined) throw new TokenInvalidError('claims', 'logout token has neither "sub" nor "sid"');
    // Step 6: events is an object with the back-channel member, whose value is an object. Other
    // members (Keycloak's `revoke_offline_access: true`) are allowed beside it.
    const events = payload.events;
    if (!isPlainObject(events)) throw new TokenInvalidError('claims', 'logout token claim "events" must be a JSON object');
    if (!isPlainObject(events[BACKCHANNEL_LOGOUT_EVENT])) {
      throw new TokenInvalidError('claims', `logout token "events" must contain "${BACKCHANNEL_LOGOUT_EVENT}" with an object value`);
    }
    // Step 7: a nonce makes it an ID token look-alike (§4.1 cross-JWT confusion).
    if (payload.nonce !== undefined) throw new TokenInvalidError('claims', 'logout token must not contain "nonce"');
    if (!isIdentifier(payload.jti)) {
      throw new TokenInvalidError('claims', 'logout token claim "jti" must be a non-empty string');
    }
    return {
      iss: payload.iss as string,
      jti: payload.jti,
      iat: payload.iat as number,
      exp: payload.exp,
      sub,
      sid,
      revokeOfflineAccess: events.revoke_offline_access === true,
    };
  }

  /** The JOSE `typ` header: `logout+jwt` (spec, Keycloak ≥ 25), `JWT` (Keycloak ≤ 24), or absent. */
  private checkType(token: string): void {
    let typ: unknown;
    try {
      typ = decodeProtectedHeader(token).typ;
    } catch (cause) {
      throw new TokenInvalidError('signature', 'logout token header is not valid base64url JSON', { cause });
    }
    const rules = this.options.logoutToken;
    if (typ === undefined) {
      if (!rules.allowUntyped) throw new TokenInvalidError('claims', 'logout token has no "typ" header');
      return;
    }
    if (!headerTypeAllowed(typ, rules.types)) {
      throw new TokenInvalidError('claims', `logout token "typ" header ${JSON.stringify(typ).slice(0, 40)} is not accepted`);
    }
  }
}
