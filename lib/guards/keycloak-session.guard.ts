import { Inject, Injectable, Logger, type ExecutionContext } from '@nestjs/common';
import type { ContextKind } from '../contexts/context-kind.js';
import { graphqlContextOf, graphqlRequestOf } from '../contexts/graphql-context.js';
import { wsClientOf } from '../contexts/ws-client.js';
import { handshakeOf } from '../contexts/ws-handshake.js';
import type { RevocationSubject } from '../revocation/revocation.interface.js';
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
 * a call only when the session holds a login record that no logout has revoked (its `sid`,
 * its adapter session id, the user's watermark, or the client not-before) and whose login is
 * not older than `maxSessionAge` (revocations are kept only that long). A refused session is
 * destroyed and answered with 401 (or the context's native refusal).
 *
 * The session is the HTTP request's (`sessionRequestOf`, overridable): the request itself; the
 * HTTP request of a GraphQL operation; the WebSocket handshake request, where the app's session
 * middleware ran on it (socket.io: `io.engine.use(sessionMiddleware)`). RPC messages have no
 * session and are refused.
 */
@Injectable()
export class KeycloakSessionGuard extends RevocationGuardBase {
  private readonly logger = new Logger(KeycloakSessionGuard.name);
  @Inject(SessionStoreAccess) private readonly stores!: SessionStoreAccess;
  protected override readonly channel = 'session-guard';

  protected async authenticate(context: ExecutionContext, kind: ContextKind): Promise<RevocationSubject> {
    const request = this.sessionRequestOf(context, kind);
    if (request === undefined) throw this.refusal(401, 'login_required', 'no signed-in session', 'no_session');
    if (!this.stores.known) this.stores.learnFrom(request);
    const data = this.readSession(request);
    if (data === undefined) throw this.refusal(401, 'login_required', 'no signed-in session', 'no_session');
    const age = Date.now() / 1000 - data.issuedAt;
    if (age > this.options.maxSessionAge) {
      await this.destroySession(request);
      throw this.refusal(401, 'login_required', 'session is older than maxSessionAge; sign in again', 'session_too_old');
    }
    this.assertViewFresh();
    const subject: RevocationSubject = { sid: data.sid, sub: data.sub, iat: data.issuedAt, adapterSessionId: this.adapterSessionId(request) };
    const reason = this.revocations.revocationReason(subject);
    if (reason !== undefined) {
      await this.destroySession(request);
      throw this.refusal(401, 'login_required', `session has been logged out (${reason})`, `revoked_${reason}`);
    }
    this.assertAllowed(context, accessTokenClaims(data.accessToken));
    this.leave(context, kind, 'keycloakSession', data);
    return subject;
  }

  /** The request whose server-side session the call belongs to, or undefined when it has none. */
  protected sessionRequestOf(context: ExecutionContext, kind: ContextKind): RequestWithSession | undefined {
    switch (kind) {
      case 'http':
        return context.switchToHttp().getRequest<RequestWithSession>();
      case 'graphql':
        return graphqlRequestOf(graphqlContextOf(context));
      case 'ws':
        return handshakeOf(wsClientOf(context))?.request;
      case 'rpc':
        return undefined;
    }
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
