import { Inject, Injectable, Optional } from '@nestjs/common';
import type { JWTHeaderParameters, JWTPayload } from 'jose';
import { TokenInvalidError } from '../errors/token-invalid.error.js';
import { KEYCLOAK_LOGOUT_OPTIONS } from '../keycloak-logout.constants.js';
import type { ResolvedKeycloakLogoutOptions } from '../options/keycloak-logout-options.interface.js';
import { JwsVerifierService } from './jws-verifier.service.js';
import { ACCESS_TOKEN_REALMS, type AccessTokenRealms } from '../realms/access-token-realms.js';
import type { AccessTokenClaims } from './access-token-claims.interface.js';
import { VerifiedTokenCache, type VerifiedAccessToken } from './verified-token-cache.js';
import { headerTypeAllowed, normalizeMediaType, payloadType } from './token-rules.js';

/**
 * Header `typ` values of an access token: RFC 9068 `at+jwt`, or `JWT`, which Keycloak writes
 * into the header of every token it signs (access, ID, refresh), so it tells nothing apart.
 */
const ACCESS_TOKEN_TYPES = new Set(['at+jwt', 'jwt']);
const RFC_9068_TYPE = 'at+jwt';

/**
 * Claims only an ID token carries: the hashes binding it to the access token and the code
 * (OIDC Core §3.1.3.6, §3.3.2.11). Keycloak sets them on ID tokens only
 * (services/src/main/java/org/keycloak/protocol/oidc/TokenManager.java, generateIDToken).
 */
const ID_TOKEN_HASH_CLAIMS = ['at_hash', 'c_hash'] as const;

function invalid(message: string): TokenInvalidError {
  return new TokenInvalidError('claims', message);
}

/**
 * Keycloak marks a DPoP-bound access token with payload `typ` "DPoP" and binds it to the
 * client's key with `cnf.jkt` (services/src/main/java/org/keycloak/services/util/DPoPUtil.java;
 * RFC 9449 §6.1). Such a token is only safe where the DPoP proof is checked, which this guard
 * does not do, so it must not be accepted as a plain bearer token (RFC 9449 §7.2).
 */
function isDPoPBound(payload: JWTPayload): boolean {
  const { cnf } = payload;
  const boundToKey = typeof cnf === 'object' && cnf !== null && 'jkt' in cnf;
  return payloadType(payload) === 'dpop' || boundToKey;
}

/**
 * Keycloak writes payload `typ` "Bearer" into access tokens (TokenManager.initToken, with
 * core/src/main/java/org/keycloak/util/TokenUtil.java TOKEN_TYPE_BEARER); since Keycloak 26
 * TokenManager.formatTokenType writes "bearer" when the client's "Use lower-case bearer type"
 * option is on. ID, refresh, offline and logout tokens say "ID", "Refresh", "Offline",
 * "Logout". Other OPs (and RFC 9068) write no `typ` claim at all.
 */
function saysBearer(payload: JWTPayload): boolean {
  return payloadType(payload) === 'bearer';
}

/** The token says it is an access token: payload `typ` Bearer, or header `typ` `at+jwt`. */
function declaresAccessToken(payload: JWTPayload, header: JWTHeaderParameters): boolean {
  return saysBearer(payload) || (typeof header.typ === 'string' && normalizeMediaType(header.typ) === RFC_9068_TYPE);
}

/**
 * Refuses ID tokens, which need not carry a `typ` claim (other OPs write none). `nonce` alone
 * is no proof: Keycloak up to 24 copied the login's `nonce` into access tokens too
 * (TokenManager.initToken), and from 25 on
 * services/src/main/java/org/keycloak/protocol/oidc/mappers/NonceBackwardsCompatibleMapper.java
 * puts it back on request. So `nonce` is refused only in a token that does not say it is an
 * access token, as an ID token without `typ` is not.
 */
function assertNotIdToken(payload: JWTPayload, header: JWTHeaderParameters): void {
  for (const claim of ID_TOKEN_HASH_CLAIMS) {
    if (payload[claim] !== undefined) throw invalid(`token carries "${claim}", an ID token claim: an ID token is not an access token`);
  }
  if (payload.nonce !== undefined && !declaresAccessToken(payload, header)) {
    throw invalid('token carries "nonce" and does not say it is an access token ("typ" claim "Bearer" or header "at+jwt"): an ID token is not an access token');
  }
}

/**
 * Cross-JWT confusion (RFC 8725 §2.8): only an access token passes, never a logout, ID,
 * refresh or DPoP-bound token. Messages name claims, never their values.
 */
function assertAccessToken(payload: JWTPayload, header: JWTHeaderParameters): void {
  if (!headerTypeAllowed(header.typ, ACCESS_TOKEN_TYPES)) {
    throw invalid('token "typ" header is not an access token type');
  }
  // Before the `typ` check, so that a DPoP token is told why it is refused.
  if (isDPoPBound(payload)) throw invalid('DPoP-bound access tokens are not supported: this API accepts bearer tokens only');
  if (payload.typ !== undefined && !saysBearer(payload)) throw invalid('token "typ" claim is not "Bearer"');
  if (payload.events !== undefined) throw invalid('a logout token is not an access token');
  assertNotIdToken(payload, header);
}

/**
 * Verifies bearer access tokens and remembers each verified token until it expires, so the
 * bearer guard's steady-state cost is a map lookup. Only the outcome of verification is
 * cached, never a refusal: revocation is checked on every request (a token's "not revoked" is
 * reused only until the next revocation is applied, see RevocationMemo).
 */
@Injectable()
export class AccessTokenVerifierService {
  private readonly verified: VerifiedTokenCache;

  constructor(
    @Inject(KEYCLOAK_LOGOUT_OPTIONS) private readonly options: ResolvedKeycloakLogoutOptions,
    private readonly jws: JwsVerifierService,
    /** With several realms: where a token of another realm than the primary one is verified. */
    @Optional() @Inject(ACCESS_TOKEN_REALMS) private readonly realms?: AccessTokenRealms,
  ) {
    this.verified = new VerifiedTokenCache(options.bearer.cacheSize, options.clockTolerance, options.bearer.cacheMaxAge);
  }

  async verify(token: string): Promise<AccessTokenClaims> {
    const cached = this.verified.claims(token);
    if (cached !== undefined) return cached;
    return (await this.verifyToken(token)).claims;
  }

  /**
   * As `verify`, with the subject the revocation check needs (made once per token, see
   * VerifiedAccessToken). `credential`: the value the token was read from (the bearer guard
   * passes the `Authorization` header), when reading that value always yields this token; later
   * calls may then ask `cachedCredential` with it.
   */
  async verifyToken(token: string, credential?: string): Promise<VerifiedAccessToken> {
    const cached = this.verified.verified(token);
    if (cached !== undefined) return cached;
    // Several realms: the unverified `iss` only picks whose keys and rules verify the token.
    const realm = this.realms?.forAccessToken(token);
    if (realm === undefined) return this.verified.remember(token, await this.verifyFresh(token), undefined, credential);
    // Revocations are per realm: a further realm's token is checked against that realm's only.
    return this.verified.remember(token, await realm.accessTokens.verify(token), realm.key, credential);
  }

  /**
   * Synchronously, a token verified before with its claims and subject: undefined when it is
   * not cached (then `verifyToken` it); throws when it has expired since. What the bearer guard
   * asks first, so that it answers without a promise in the steady state. `now`: the clock
   * (epoch ms) when the caller has read it already.
   */
  cachedToken(token: string, now?: number): VerifiedAccessToken | undefined {
    return this.verified.verified(token, now);
  }

  /**
   * As `cachedToken`, asked with the value a token was verified from (`verifyToken`'s
   * `credential`): undefined unless that very value was passed there.
   */
  cachedCredential(credential: string, now?: number): VerifiedAccessToken | undefined {
    return this.verified.verifiedCredential(credential, now);
  }

  /**
   * A token verified here before and held by the caller (the bearer guard holds a WebSocket
   * connection's), checked again without a lookup: itself while unexpired at `now`; throws once
   * it has expired; undefined with `bearer.cacheSize: 0` (verify every call instead).
   */
  recheck(verified: VerifiedAccessToken, now?: number): VerifiedAccessToken | undefined {
    return this.verified.recheck(verified, now);
  }

  /**
   * Synchronously, the claims of a token verified before: undefined when it is not cached (then
   * `verify` it); throws when it has expired since. Lets a guard answer without a promise in the
   * steady state.
   */
  cached(token: string): AccessTokenClaims | undefined {
    return this.verified.claims(token);
  }

  /**
   * Whether this exact token was verified before (expired or not). Everything cached passed the
   * compact-JWS syntax check, so a guard may skip its own scan for these.
   */
  isCached(token: string): boolean {
    return this.verified.has(token);
  }

  private async verifyFresh(token: string): Promise<AccessTokenClaims> {
    const { payload, header } = await this.jws.verifyJwt(token, {
      kind: 'access token',
      audience: this.options.bearer.audience,
      requiredClaims: ['iat', 'exp'],
    });
    assertAccessToken(payload, header);
    for (const claim of ['sid', 'sub', 'azp'] as const) {
      if (payload[claim] !== undefined && typeof payload[claim] !== 'string') throw invalid(`access token claim "${claim}" must be a string`);
    }
    const claims = payload as AccessTokenClaims;
    if (this.options.bearer.audience === undefined && !this.isForThisClient(claims)) {
      throw invalid('access token was not issued for this client (neither "aud" nor "azp" names it)');
    }
    return claims;
  }

  /** Keycloak issues `aud: "account"` with `azp: <client>`; either naming us is enough by default. */
  private isForThisClient(claims: AccessTokenClaims): boolean {
    const { clientId } = this.options;
    const audience = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    return claims.azp === clientId || audience.includes(clientId);
  }
}
