import { Inject, Injectable } from '@nestjs/common';
import { TokenInvalidError } from '../errors/token-invalid.error.js';
import { KEYCLOAK_LOGOUT_OPTIONS } from '../keycloak-logout.constants.js';
import { normalizeMediaType } from '../options/resolve-options.js';
import type { ResolvedKeycloakLogoutOptions } from '../options/keycloak-logout-options.interface.js';
import { JwsVerifierService } from '../oidc/jws-verifier.service.js';
import type { AccessTokenClaims } from './access-token-claims.interface.js';

/** Header `typ` values of an access token: RFC 9068 `at+jwt`, or Keycloak's `JWT`. */
const ACCESS_TOKEN_TYPES = new Set(['at+jwt', 'jwt']);

/**
 * Characters of the token that key the cache: its tail, which lies in the signature. A cache
 * hit then hashes these few characters instead of the whole token (about 1 KB for a Keycloak
 * RS256 access token, hashed anew for every request because each request brings a fresh
 * string); the whole token is still compared on every hit.
 */
const CACHE_KEY_LENGTH = 32;

function invalid(reason: string): TokenInvalidError {
  return new TokenInvalidError(reason, { error: 'invalid_token', status: 401 });
}

/**
 * Verifies bearer access tokens and remembers each verified token until it expires, so the
 * bearer guard's steady-state cost is a map lookup. Only the outcome of verification is
 * cached, never a revocation decision: revocation is checked on every request.
 */
@Injectable()
export class AccessTokenVerifierService {
  /** Keyed by the token's tail; `token` is the whole token, compared on each hit. */
  private readonly verified = new Map<string, { token: string; claims: AccessTokenClaims }>();

  constructor(
    @Inject(KEYCLOAK_LOGOUT_OPTIONS) private readonly options: ResolvedKeycloakLogoutOptions,
    private readonly jws: JwsVerifierService,
  ) {}

  async verify(token: string): Promise<AccessTokenClaims> {
    const key = token.slice(-CACHE_KEY_LENGTH);
    const cached = this.verified.get(key);
    // Another token with the same tail is a miss: verified in full, and then replaces the entry.
    if (cached !== undefined && cached.token === token) {
      if (cached.claims.exp + this.options.clockTolerance > Date.now() / 1000) return cached.claims;
      this.verified.delete(key);
      throw invalid('access token has expired');
    }
    const claims = await this.verifyFresh(token);
    this.remember(key, token, claims);
    return claims;
  }

  private async verifyFresh(token: string): Promise<AccessTokenClaims> {
    const { payload, header } = await this.jws.verifyJwt(token, {
      kind: 'access token',
      audience: this.options.bearer.audience,
      requiredClaims: ['iat', 'exp'],
      status: 401,
      error: 'invalid_token',
    });
    // Cross-JWT confusion (RFC 8725 §2.8): refuse logout tokens, ID tokens and refresh tokens.
    if (header.typ !== undefined && !ACCESS_TOKEN_TYPES.has(normalizeMediaType(header.typ))) {
      throw invalid('token "typ" header is not an access token type');
    }
    if (payload.typ !== undefined && payload.typ !== 'Bearer') throw invalid('token "typ" claim is not "Bearer"');
    if (payload.events !== undefined) throw invalid('a logout token is not an access token');
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

  private remember(key: string, token: string, claims: AccessTokenClaims): void {
    const max = this.options.bearer.cacheSize;
    if (max === 0) return;
    // Re-inserted at the end: Map keeps insertion order, which the eviction below relies on.
    this.verified.delete(key);
    if (this.verified.size >= max) {
      // Evict the oldest entry: Map iterates in insertion order.
      const oldest = this.verified.keys().next();
      if (!oldest.done) this.verified.delete(oldest.value);
    }
    this.verified.set(key, { token, claims });
  }
}
