import { Injectable, type MessageEvent } from '@nestjs/common';
import { EMPTY, Observable, Subscription } from 'rxjs';
import type { CredentialCarrier } from '../contexts/credential-carrier.js';
import { RevocationService } from '../revocation/revocation.service.js';
import type { RevocationSubject } from '../revocation/revocation.interface.js';
import { sessionIdOf, type SessionRequest } from '../session/session-access.js';
import { LiveConnectionRegistry } from './live-connection-registry.service.js';

/** The event an SSE stream ends with when its session is logged out. */
export const SSE_LOGOUT_EVENT = 'logout';

/** Who an admitted request belongs to: the bearer guard's claims, or the session guard's login record. */
function subjectOf(request: CredentialCarrier & Partial<SessionRequest>): RevocationSubject | undefined {
  const claims = request.accessTokenClaims;
  if (claims !== undefined) return { sid: claims.sid, sub: claims.sub, iat: claims.iat };
  const session = request.keycloakSession;
  if (session !== undefined) return { sid: session.sid, sub: session.sub, iat: session.issuedAt, adapterSessionId: sessionIdOf(request as SessionRequest) };
  return undefined;
}

/**
 * Server-sent event streams that end at logout. In an `@Sse()` handler behind
 * `KeycloakBearerGuard` or `KeycloakSessionGuard`, return `sse.open(request, events$)`: the
 * app's events pass through; when the session or user is logged out (on any instance), the
 * stream sends a final `logout` event and ends. Registered while open, removed when the
 * client goes away.
 */
@Injectable()
export class SseStreams {
  constructor(
    private readonly registry: LiveConnectionRegistry,
    private readonly revocations: RevocationService,
  ) {}

  open(request: object, events: Observable<MessageEvent> = EMPTY): Observable<MessageEvent> {
    return new Observable<MessageEvent>((subscriber) => {
      const subject = subjectOf(request);
      const reason = subject === undefined ? 'not admitted by a guard' : this.revocations.revocationReason(subject);
      if (reason !== undefined) {
        // Fails closed: a stream opened without a guard, or already revoked, ends at once.
        subscriber.next({ type: SSE_LOGOUT_EVENT, data: { reason: `logged out (${reason})` } });
        subscriber.complete();
        return undefined;
      }
      const appEvents = new Subscription();
      const unregister = this.registry.register({
        kind: 'sse',
        context: 'http',
        subject: subject as RevocationSubject,
        client: request,
        close: (_event, closeReason) => {
          appEvents.unsubscribe();
          subscriber.next({ type: SSE_LOGOUT_EVENT, data: { reason: closeReason } });
          subscriber.complete();
        },
      });
      appEvents.add(events.subscribe({ next: (event) => subscriber.next(event), error: (error: unknown) => subscriber.error(error) }));
      return () => {
        unregister();
        appEvents.unsubscribe();
      };
    });
  }
}
