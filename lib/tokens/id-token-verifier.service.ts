import { Injectable } from '@nestjs/common';
import { TokenInvalidError } from '../errors/token-invalid.error.js';
import { sameSecret } from '../utils/same-secret.js';
import { RealmTokenVerifier } from './realm-token-verifier.js';
import { headerTypeAllowed, isIdentifier, payloadType } from './token-rules.js';

/** Oldest acceptable ID token at the login callback, in seconds: the code exchange minted it just now. */
const MAX_ID_TOKEN_AGE = 300;
/** Keycloak signs every token with header `typ` JWT (JWSBuilder). */
const ID_TOKEN_HEADER_TYPES: readonly string[] = ['jwt'];

/** The claims of an ID token that passed every check. */
export type IdTokenClaims = Record<string, unknown> & { sub: string; iat: number; sid?: string };

function invalid(message: string): TokenInvalidError {
  return new TokenInvalidError('claims', message);
}

/**
 * Verifies the ID token of a browser login: realm signature with the pinned algorithms, `iss`,
 * `aud` = clientId, `exp`, a fresh `iat` (JwsVerifierService), then what OIDC Core §3.1.3.7
 * adds: `azp`, the `nonce` this login sent, and no other token type passed off as an ID token
 * (Keycloak marks ID tokens with payload `typ` "ID", access tokens "Bearer", logout tokens "Logout").
 */
@Injectable()
export class IdTokenVerifierService extends RealmTokenVerifier {
  async verify(idToken: string, nonce: string): Promise<IdTokenClaims> {
    const { payload, header } = await this.jws.verifyJwt(idToken, {
      kind: 'ID token',
      audience: this.options.clientId,
      requiredClaims: ['iat', 'exp', 'sub'],
      maxTokenAge: MAX_ID_TOKEN_AGE,
    });
    if (!headerTypeAllowed(header.typ, ID_TOKEN_HEADER_TYPES)) throw invalid('ID token "typ" header is not JWT');
    const typ = payloadType(payload);
    if (payload.typ !== undefined && typ !== 'id') throw invalid('token "typ" claim is not "ID": not an ID token');
    if (payload.events !== undefined) throw invalid('a logout token is not an ID token');
    if (typeof payload.nonce !== 'string' || !sameSecret(payload.nonce, nonce)) throw invalid('ID token "nonce" does not match the login started in this browser');
    if (Array.isArray(payload.aud) && payload.aud.length > 1 && payload.azp === undefined) throw invalid('ID token has several audiences but no "azp"');
    if (payload.azp !== undefined && payload.azp !== this.options.clientId) throw invalid('ID token "azp" is not this client');
    if (!isIdentifier(payload.sub)) throw invalid('ID token "sub" must be a non-empty string');
    if (payload.sid !== undefined && !isIdentifier(payload.sid)) throw invalid('ID token "sid" must be a non-empty string');
    return payload as IdTokenClaims;
  }
}
