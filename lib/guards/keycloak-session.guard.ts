import { Inject, Injectable, Logger, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { decodeJwt } from 'jose';
import type { KeycloakSessionData } from '../session/keycloak-session-data.interface.js';
import { destroySession, readLoginRecord, sessionIdOf, type SessionRequest } from '../session/session-access.js';
import { SessionStoreAccess } from '../session/session-store-access.service.js';
import { RevocationGuardBase } from './revocation-guard.base.js';

/**
 * The claims of the access token the login stored in the session: it came straight from the
 * OP's token endpoint (OIDC Core §3.1.3.7: TLS vouches for it), so its payload is read, not verified.
 */
function accessTokenClaims(token: unknown): Record<string, unknown> | undefined {
  if (typeof token !== 'string') return undefined;
  try {
    return decodeJwt(token);
  } catch {
    return undefined;
  }
}

/** The parts of an express-session / @fastify/session request the guard reads. */
export type RequestWithSession = SessionRequest;

/**
 * For browser apps with a server-side session (express-session or @fastify/session): accepts
 * a request only when the session holds a login record that no logout has revoked (its `sid`,
 * its adapter session id, the user's watermark, or the client not-before) and whose login is
 * not older than `maxSessionAge` (revocations are kept only that long). A refused session is
 * destroyed and answered with 401.
 */
@Injectable()
export class KeycloakSessionGuard extends RevocationGuardBase implements CanActivate {
  private readonly logger = new Logger(KeycloakSessionGuard.name);
  @Inject(SessionStoreAccess) private readonly stores!: SessionStoreAccess;
  protected override readonly channel = 'session-guard';

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (this.isPublic(context)) return true;
    const request = context.switchToHttp().getRequest<RequestWithSession>();
    if (!this.stores.known) this.stores.learnFrom(request);
    const data = this.readSession(request);
    if (data === undefined) throw this.refusal(401, 'login_required', 'no signed-in session', 'no_session');
    const age = Date.now() / 1000 - data.issuedAt;
    if (age > this.options.maxSessionAge) {
      await this.destroySession(request);
      throw this.refusal(401, 'login_required', 'session is older than maxSessionAge; sign in again', 'session_too_old');
    }
    this.assertViewFresh();
    const reason = this.revocations.revocationReason({
      sid: data.sid,
      sub: data.sub,
      iat: data.issuedAt,
      adapterSessionId: this.adapterSessionId(request),
    });
    if (reason !== undefined) {
      await this.destroySession(request);
      throw this.refusal(401, 'login_required', `session has been logged out (${reason})`, `revoked_${reason}`);
    }
    this.assertAllowed(context, accessTokenClaims(data.accessToken));
    request.keycloakSession = data;
    return true;
  }

  /** The login record in the session. Override for another session layout. */
  protected readSession(request: RequestWithSession): KeycloakSessionData | undefined {
    return readLoginRecord(request.session, this.options.sessionProperty);
  }

  /** The app's session id: express-session's `req.sessionID`, or @fastify/session's `session.sessionId`. */
  protected adapterSessionId(request: RequestWithSession): string | undefined {
    return sessionIdOf(request);
  }

  private async destroySession(request: RequestWithSession): Promise<void> {
    try {
      await destroySession(request);
    } catch (error) {
      this.logger.warn(`could not destroy a refused session: ${error instanceof Error ? error.message : 'unknown error'}`);
    }
  }
}
