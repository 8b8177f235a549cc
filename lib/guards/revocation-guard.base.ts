import { Inject, Logger, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { HttpAdapterHost, Reflector } from '@nestjs/core';
import { contextKindOf, type ContextKind } from '../contexts/context-kind.js';
import { carrierOf, type CredentialCarrier } from '../contexts/credential-carrier.js';
import { handshakeContext } from '../contexts/handshake-context.js';
import { nativeRefusal, refusalPayload } from '../contexts/native-refusal.js';
import { closeSocket } from '../contexts/socket-closing.js';
import { equipExpressRequests, leaveCredential, type CredentialSlot } from '../contexts/request-credentials.js';
import { rememberHandshake } from '../contexts/ws-handshake.js';
import { KeycloakLogoutError } from '../errors/keycloak-logout.error.js';
import { checkAccess, type AccessRefusal, type AccessRequirements } from '../authorization/access-check.js';
import type { AccessRequirement } from '../authorization/access-requirement.js';
import { answerFor, contextAnswerFor, reasonOf } from '../http/error-answers.js';
import { IS_PUBLIC_KEY, KEYCLOAK_LOGOUT_OPTIONS, REQUIRED_ROLES_KEY, REQUIRED_SCOPES_KEY } from '../keycloak-logout.constants.js';
import { LiveConnectionTracker } from '../live-connections/live-connection-tracker.service.js';
import type { ResolvedKeycloakLogoutOptions } from '../options/keycloak-logout-options.interface.js';
import { clientIdOfIssuer } from '../realms/realm-issuer.js';
import { RefusalLog, type RefusalChannel } from '../refusals/refusal-log.service.js';
import type { RevocationSubject } from '../revocation/revocation.interface.js';
import { RevocationService } from '../revocation/revocation.service.js';
import { GuardRefusal } from './guard-refusal.js';
import { RouteRulesCache, type RouteRules } from './route-rules.js';

/** Whether `authenticate` answered later (a promise) rather than at once. */
function isPending<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | undefined)?.then === 'function';
}

/**
 * What the bearer and session guards share, in every execution context (HTTP, GraphQL,
 * WebSocket, RPC): the `@Public()` opt-out, the failure policy, refusals recorded in the
 * RefusalLog (with the context as a label) and answered in the context's native form (never a
 * 500 or a TypeError), and the registration of admitted live connections for closing at logout.
 */
export abstract class RevocationGuardBase implements CanActivate {
  @Inject(Reflector) protected readonly reflector!: Reflector;
  @Inject(HttpAdapterHost) protected readonly adapterHost!: HttpAdapterHost;
  @Inject(RevocationService) protected readonly revocations!: RevocationService;
  @Inject(KEYCLOAK_LOGOUT_OPTIONS) protected readonly options!: ResolvedKeycloakLogoutOptions;
  @Inject(RefusalLog) private readonly refusals!: RefusalLog;
  @Inject(LiveConnectionTracker) private readonly liveConnections!: LiveConnectionTracker;
  private readonly guardLogger = new Logger('KeycloakLogoutGuard');
  /** Which guard refuses, for the refusal log. */
  protected readonly channel: RefusalChannel = 'bearer-guard';
  private readonly routes = new RouteRulesCache((handler, owner) => this.readRouteRules(handler, owner));
  /** Whether the app's Express requests were given their credential accessors (see leave). */
  private requestsEquipped = false;

  /**
   * Checks the credentials of the call, throws a `GuardRefusal` when they do not hold, and
   * leaves what it admitted for `@CurrentToken()` / `@CurrentSession()`. Answers who the call
   * belongs to, for the live-connection registry: at once when nothing had to wait (the bearer
   * guard with a token verified before), else as a promise.
   */
  protected abstract authenticate(context: ExecutionContext, kind: ContextKind): RevocationSubject | Promise<RevocationSubject>;

  /**
   * `true` at once when the call could be decided without waiting (a public route; a cached
   * token): Nest takes a boolean from a guard without awaiting a promise. Otherwise a promise;
   * a refusal is always a rejected promise, never a synchronous throw.
   */
  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    if (this.isPublic(context)) return true;
    const kind = contextKindOf(context);
    let outcome: RevocationSubject | Promise<RevocationSubject>;
    try {
      outcome = this.authenticate(context, kind);
    } catch (error) {
      return this.refused(context, kind, error);
    }
    if (isPending(outcome)) return this.settle(context, kind, outcome);
    this.liveConnections.admitted(context, kind, outcome);
    return true;
  }

  private async settle(context: ExecutionContext, kind: ContextKind, outcome: Promise<RevocationSubject>): Promise<boolean> {
    let subject: RevocationSubject;
    try {
      subject = await outcome;
    } catch (error) {
      return this.refused(context, kind, error);
    }
    this.liveConnections.admitted(context, kind, subject);
    return true;
  }

  private async refused(context: ExecutionContext, kind: ContextKind, error: unknown): Promise<never> {
    throw await this.refuse(context, kind, error);
  }

  /**
   * Admits a WebSocket connection at its handshake. Nest runs guards on messages only, so call it
   * from the gateway's `handleConnection(client, request)`: a refused connection is sent an
   * `exception` event and closed (close code 4401, or 1013 while the revocation view is stale);
   * an admitted one is registered, so a logout closes it. For the `ws` adapter, pass the upgrade
   * `request` too: it is remembered, and later messages are checked against its credentials.
   * Resolves whether the connection was admitted.
   */
  async admitConnection(gateway: object, client: object, request?: unknown): Promise<boolean> {
    if (request !== undefined) rememberHandshake(client, request);
    const context = handshakeContext(gateway, client);
    if (this.isPublic(context)) return true;
    let subject: RevocationSubject;
    try {
      subject = await this.authenticate(context, 'ws');
    } catch (error) {
      const refusal = this.asRefusal(error);
      this.record(refusal, 'ws');
      const answer = contextAnswerFor(refusal.getStatus(), refusal.body);
      closeSocket(client, answer.closeCode, answer.message, { event: 'exception', payload: refusalPayload(refusal.getStatus(), refusal.body) });
      return false;
    }
    this.liveConnections.admitted(context, 'ws', subject);
    return true;
  }

  protected isPublic(context: ExecutionContext): boolean {
    return this.routeRules(context).isPublic;
  }

  /** The route's `@Public()`, `@Roles()` and `@Scopes()`, read once per handler and class (RouteRulesCache). */
  protected routeRules(context: ExecutionContext): RouteRules {
    return this.routes.rulesOf(context.getHandler(), context.getClass());
  }

  /**
   * Leaves what `@CurrentToken()` / `@CurrentSession()` read on the admitted call's carrier;
   * on Express, beside the request (lib/contexts/request-credentials.ts), which is equipped for
   * that at the first call.
   */
  protected leave<Slot extends CredentialSlot>(context: ExecutionContext, kind: ContextKind, slot: Slot, value: CredentialCarrier[Slot]): void {
    if (!this.requestsEquipped) {
      equipExpressRequests(this.adapterHost);
      this.requestsEquipped = true;
    }
    leaveCredential(carrierOf(context, kind), slot, value);
  }

  /**
   * `@Roles()` / `@Scopes()` of the route, checked against the claims of an authenticated
   * token: 403 when they are not met, with a body that names no claim value.
   */
  protected assertAllowed(context: ExecutionContext, claims: Record<string, unknown> | undefined): void {
    const { restricted, requirements } = this.routeRules(context);
    if (!restricted) return;
    const refusal: AccessRefusal | undefined = claims === undefined ? 'no_roles_in_token' : checkAccess(claims, requirements, clientIdOfIssuer(this.options, claims.iss));
    if (refusal === undefined) return;
    if (refusal === 'missing_scope') throw this.refusal(403, 'insufficient_scope', 'the access token lacks a scope this route requires', refusal);
    if (refusal === 'missing_role') throw this.refusal(403, 'access_denied', 'the access token lacks a role this route requires', refusal);
    throw this.refusal(403, 'access_denied', 'this route requires roles, but the access token carries none (a lightweight access token?)', refusal);
  }

  private readRouteRules(handler: unknown, owner: unknown): RouteRules {
    // The handler's own metadata wins over its class's (Reflector.getAllAndOverride).
    const targets = [handler, owner] as Array<() => unknown>;
    const requirements: AccessRequirements = {
      roles: this.reflector.getAllAndOverride<AccessRequirement | undefined>(REQUIRED_ROLES_KEY, targets),
      scopes: this.reflector.getAllAndOverride<AccessRequirement | undefined>(REQUIRED_SCOPES_KEY, targets),
    };
    return Object.freeze({
      isPublic: this.reflector.getAllAndOverride<boolean | undefined>(IS_PUBLIC_KEY, targets) === true,
      requirements: Object.freeze(requirements),
      restricted: requirements.roles !== undefined || requirements.scopes !== undefined,
    });
  }

  /** With `failurePolicy: 'refuse'`, a possibly stale revocation view refuses every call. */
  protected assertViewFresh(): void {
    if (this.options.failurePolicy !== 'refuse') return;
    const health = this.revocations.health();
    if (health.stale) {
      // The detail names a state (never a host or URL), so the caller may read it.
      throw this.refusal(503, 'temporarily_unavailable', `revocation state may be stale (${health.detail}); refusing by policy`, 'stale_view');
    }
  }

  /** A refusal, answered in the call's context and recorded there (logged with `reason`, counted). */
  protected refusal(status: number, error: string, description: string, reason: string = error, wwwAuthenticate?: string): GuardRefusal {
    return new GuardRefusal(status, error, description, reason, wwwAuthenticate);
  }

  /** A library error (bad token, unreachable JWKS) as a refusal with its own status. */
  protected refusalFrom(error: unknown, wwwAuthenticate?: string): unknown {
    if (!(error instanceof KeycloakLogoutError)) return error;
    const { status, body } = answerFor(error, 'guard');
    const refusal = new GuardRefusal(status, body.error, body.error_description, reasonOf(error), wwwAuthenticate);
    // The log may name what the caller must not read (an unreachable host).
    refusal.detail = error.message;
    return refusal;
  }

  /**
   * Records a refusal and turns it into the context's own error. An unexpected error (a bug, a
   * broken store) stays itself over HTTP, where Nest answers 500 as for any route; elsewhere it
   * is logged and refused as an internal error rather than leaking as a TypeError.
   */
  private async refuse(context: ExecutionContext, kind: ContextKind, error: unknown): Promise<unknown> {
    if (kind === 'http' && !(error instanceof GuardRefusal) && !(error instanceof KeycloakLogoutError)) return error;
    const refusal = this.asRefusal(error);
    this.record(refusal, kind);
    if (kind === 'http' && refusal.wwwAuthenticate !== undefined) {
      this.adapterHost.httpAdapter.setHeader(context.switchToHttp().getResponse(), 'WWW-Authenticate', refusal.wwwAuthenticate);
    }
    return nativeRefusal(kind, refusal);
  }

  private asRefusal(error: unknown): GuardRefusal {
    if (error instanceof GuardRefusal) return error;
    const converted = this.refusalFrom(error);
    if (converted instanceof GuardRefusal) return converted;
    this.guardLogger.error(`unexpected error in a guard: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
    return new GuardRefusal(500, 'server_error', 'internal error', 'internal_error');
  }

  private record(refusal: GuardRefusal, context: ContextKind): void {
    this.refusals.record({
      channel: this.channel,
      reason: refusal.reason,
      status: refusal.getStatus(),
      detail: refusal.detail,
      quiet: refusal.quiet,
      context,
    });
  }
}
