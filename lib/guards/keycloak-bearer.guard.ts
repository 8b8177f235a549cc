import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { AccessTokenVerifierService } from '../tokens/access-token-verifier.service.js';
import type { AccessTokenClaims } from '../tokens/access-token-claims.interface.js';
import { RevocationGuardBase } from './revocation-guard.base.js';

/**
 * `Authorization: DPoP …` (RFC 9449 §7.1): the token is bound to a key whose proof this guard
 * does not check, so it is refused with its own reason instead of "missing bearer token".
 * Schemes are case-insensitive (RFC 7235 §2.1).
 */
function usesDPoPScheme(request: { headers: Record<string, unknown> }): boolean {
  const header = request.headers.authorization;
  return typeof header === 'string' && /^DPoP(?: |$)/i.test(header);
}

/** Requests the bearer guard has let through carry the verified claims here. */
export interface RequestWithAccessToken {
  accessTokenClaims?: AccessTokenClaims;
}

/**
 * For APIs: accepts a request only with a valid access token from the realm that no logout has
 * revoked (by `sid`, by the user's watermark, or by the client not-before), even though the
 * token itself has not expired. Register with `@UseGuards(KeycloakBearerGuard)` or `APP_GUARD`.
 */
@Injectable()
export class KeycloakBearerGuard extends RevocationGuardBase implements CanActivate {
  constructor(private readonly verifier: AccessTokenVerifierService) {
    super();
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (this.isPublic(context)) return true;
    const request = context.switchToHttp().getRequest<RequestWithAccessToken & { headers: Record<string, unknown> }>();
    if (usesDPoPScheme(request)) {
      this.setHeader(context, 'WWW-Authenticate', 'Bearer');
      throw this.refusal(401, 'invalid_request', 'the DPoP authorization scheme is not supported: this API accepts bearer tokens only', 'dpop_unsupported');
    }
    const token = this.extractToken(request);
    if (token === undefined) {
      this.setHeader(context, 'WWW-Authenticate', 'Bearer');
      throw this.refusal(401, 'invalid_request', 'missing bearer token', 'missing_token');
    }
    let claims: AccessTokenClaims;
    try {
      claims = await this.verifier.verify(token);
    } catch (error) {
      this.setHeader(context, 'WWW-Authenticate', 'Bearer error="invalid_token"');
      throw this.refusalFrom(error);
    }
    this.assertViewFresh();
    const reason = this.revocations.revocationReason({ sid: claims.sid, sub: claims.sub, iat: claims.iat });
    if (reason !== undefined) {
      this.setHeader(context, 'WWW-Authenticate', 'Bearer error="invalid_token"');
      throw this.refusal(401, 'invalid_token', `access token has been revoked (${reason})`, `revoked_${reason}`);
    }
    this.assertAllowed(context, claims);
    request.accessTokenClaims = claims;
    return true;
  }

  /**
   * The token from `Authorization: Bearer …` (RFC 6750 §2.1; the scheme in any case, RFC 7235
   * §2.1). Override to read it elsewhere.
   */
  protected extractToken(request: { headers: Record<string, unknown> }): string | undefined {
    const header = request.headers.authorization;
    if (typeof header !== 'string') return undefined;
    const match = /^Bearer +([A-Za-z0-9._~+/-]+=*) *$/i.exec(header);
    return match?.[1];
  }
}
