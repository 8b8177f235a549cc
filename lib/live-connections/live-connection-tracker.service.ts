import { Inject, Injectable, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { ContextKind } from '../contexts/context-kind.js';
import { graphqlInfoOf, isSubscription } from '../contexts/graphql-context.js';
import { closeSocket, isClosableSocket, isSocketOpen, onSocketClosed } from '../contexts/socket-closing.js';
import { wsClientOf } from '../contexts/ws-client.js';
import { contextAnswerFor } from '../http/error-answers.js';
import { KEEP_OPEN_AT_LOGOUT_KEY, KEYCLOAK_LOGOUT_OPTIONS } from '../keycloak-logout.constants.js';
import type { ResolvedKeycloakLogoutOptions } from '../options/keycloak-logout-options.interface.js';
import type { RevocationSubject } from '../revocation/revocation.interface.js';
import { LiveConnectionRegistry } from './live-connection-registry.service.js';

/** The event a socket receives before a logout closes it, and its payload's code. */
export const LOGOUT_EVENT = 'logout';
const LOGOUT = contextAnswerFor(401, { error: 'invalid_token', error_description: 'logged out' });

/**
 * Connects the guards to the live-connection registry: a WebSocket client the guard admits (at
 * its handshake or with a message) is registered once and removed when it closes; a GraphQL
 * subscription the guard admits is remembered until `LiveSubscriptionInterceptor` wraps its
 * event stream. Nothing is registered for a handler or class marked `@KeepOpenAtLogout()`, or
 * with `liveConnections.closeAtLogout: false`.
 */
@Injectable()
export class LiveConnectionTracker {
  private readonly sockets = new WeakSet<object>();
  /** Keyed by the subscription's resolver `info`, which is one object per operation. */
  private readonly admittedSubscriptions = new WeakMap<object, RevocationSubject>();

  constructor(
    private readonly registry: LiveConnectionRegistry,
    private readonly reflector: Reflector,
    @Inject(KEYCLOAK_LOGOUT_OPTIONS) private readonly options: ResolvedKeycloakLogoutOptions,
  ) {}

  /**
   * Called by the guards once they have admitted a call. Runs on every guarded message and
   * GraphQL operation, so what settles most of them comes first: a socket registered already, an
   * operation that is no subscription (the `@KeepOpenAtLogout()` metadata is read only after).
   */
  admitted(context: ExecutionContext, kind: ContextKind, subject: RevocationSubject): void {
    if (kind === 'ws') {
      const client = wsClientOf(context);
      if (!this.isTracked(client) && this.closesAtLogout(context)) this.trackSocket(client, subject);
      return;
    }
    if (kind !== 'graphql') return;
    const info = graphqlInfoOf(context);
    if (info !== undefined && isSubscription(info) && this.closesAtLogout(context)) this.admittedSubscriptions.set(info, subject);
  }

  /** The subject of a subscription the guard admitted, once (the interceptor takes it). */
  takeSubscription(info: object | undefined): RevocationSubject | undefined {
    if (info === undefined) return undefined;
    const subject = this.admittedSubscriptions.get(info);
    this.admittedSubscriptions.delete(info);
    return subject;
  }

  private closesAtLogout(context: ExecutionContext): boolean {
    if (!this.options.liveConnections.closeAtLogout) return false;
    const targets = [context.getHandler?.(), context.getClass?.()].filter((t): t is NonNullable<typeof t> => t !== undefined);
    return this.reflector.getAllAndOverride<boolean | undefined>(KEEP_OPEN_AT_LOGOUT_KEY, targets) !== true;
  }

  private isTracked(client: unknown): boolean {
    return typeof client === 'object' && client !== null && this.sockets.has(client);
  }

  private trackSocket(client: unknown, subject: RevocationSubject): void {
    if (typeof client !== 'object' || client === null || this.sockets.has(client)) return;
    if (!isClosableSocket(client) || !isSocketOpen(client)) return;
    this.sockets.add(client);
    const unregister = this.registry.register({
      kind: 'websocket',
      context: 'ws',
      subject,
      client,
      close: (_event, reason) =>
        closeSocket(client, LOGOUT.closeCode, reason, { event: LOGOUT_EVENT, payload: { code: LOGOUT.code, closeCode: LOGOUT.closeCode, reason } }),
    });
    onSocketClosed(client, () => {
      unregister();
      this.sockets.delete(client);
    });
  }
}
