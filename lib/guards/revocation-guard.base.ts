import { HttpException, Inject, type ExecutionContext } from '@nestjs/common';
import { HttpAdapterHost, Reflector } from '@nestjs/core';
import { KeycloakLogoutError } from '../errors/keycloak-logout.error.js';
import { checkAccess, type AccessRefusal, type AccessRequirements } from '../authorization/access-check.js';
import type { AccessRequirement } from '../authorization/access-requirement.js';
import { IS_PUBLIC_KEY, KEYCLOAK_LOGOUT_OPTIONS, REQUIRED_ROLES_KEY, REQUIRED_SCOPES_KEY } from '../keycloak-logout.constants.js';
import type { ResolvedKeycloakLogoutOptions } from '../options/keycloak-logout-options.interface.js';
import { RevocationService } from '../revocation/revocation.service.js';
import { answerFor, reasonOf, type ErrorBody } from '../http/error-answers.js';
import { RefusalLog, type RefusalChannel } from '../refusals/refusal-log.service.js';

/** Refusals of requests that brought no credentials at all: routine, so logged at debug level. */
const QUIET_REASONS = new Set(['missing_token', 'no_session']);

/**
 * What the bearer and session guards share: the `@Public()` opt-out, the failure policy, and
 * refusals as JSON errors (401/503), never a 500.
 */
export abstract class RevocationGuardBase {
  @Inject(Reflector) protected readonly reflector!: Reflector;
  @Inject(HttpAdapterHost) protected readonly adapterHost!: HttpAdapterHost;
  @Inject(RevocationService) protected readonly revocations!: RevocationService;
  @Inject(KEYCLOAK_LOGOUT_OPTIONS) protected readonly options!: ResolvedKeycloakLogoutOptions;
  @Inject(RefusalLog) private readonly refusals!: RefusalLog;
  /** Which guard refuses, for the refusal log. */
  protected readonly channel: RefusalChannel = 'bearer-guard';

  protected isPublic(context: ExecutionContext): boolean {
    return this.reflector.getAllAndOverride<boolean | undefined>(IS_PUBLIC_KEY, [context.getHandler(), context.getClass()]) === true;
  }

  /**
   * `@Roles()` / `@Scopes()` of the route, checked against the claims of an authenticated
   * token: 403 when they are not met, with a body that names no claim value.
   */
  protected assertAllowed(context: ExecutionContext, claims: Record<string, unknown> | undefined): void {
    const requirements = this.requirementsOf(context);
    if (requirements.roles === undefined && requirements.scopes === undefined) return;
    const refusal: AccessRefusal | undefined = claims === undefined ? 'no_roles_in_token' : checkAccess(claims, requirements, this.options.clientId);
    if (refusal === undefined) return;
    if (refusal === 'missing_scope') throw this.refusal(403, 'insufficient_scope', 'the access token lacks a scope this route requires', refusal);
    if (refusal === 'missing_role') throw this.refusal(403, 'access_denied', 'the access token lacks a role this route requires', refusal);
    throw this.refusal(403, 'access_denied', 'this route requires roles, but the access token carries none (a lightweight access token?)', refusal);
  }

  private requirementsOf(context: ExecutionContext): AccessRequirements {
    const targets = [context.getHandler(), context.getClass()];
    return {
      roles: this.reflector.getAllAndOverride<AccessRequirement | undefined>(REQUIRED_ROLES_KEY, targets),
      scopes: this.reflector.getAllAndOverride<AccessRequirement | undefined>(REQUIRED_SCOPES_KEY, targets),
    };
  }

  /** With `failurePolicy: 'refuse'`, a possibly stale revocation view refuses every request. */
  protected assertViewFresh(): void {
    const health = this.revocations.health();
    if (health.stale && this.options.failurePolicy === 'refuse') {
      // The detail names a state (never a host or URL), so the caller may read it.
      throw this.refusal(503, 'temporarily_unavailable', `revocation state may be stale (${health.detail}); refusing by policy`, 'stale_view');
    }
  }

  /** A refusal answered as JSON, and recorded (logged with `reason`, counted). */
  protected refusal(status: number, error: string, description: string, reason: string = error): HttpException {
    this.refusals.record({ channel: this.channel, reason, status, detail: description, quiet: QUIET_REASONS.has(reason) });
    const body: ErrorBody = { error, error_description: description };
    return new HttpException(body, status);
  }

  /** A library error (bad token, unreachable JWKS) as a refusal with its own status. */
  protected refusalFrom(error: unknown): unknown {
    if (!(error instanceof KeycloakLogoutError)) return error;
    const { status, body } = answerFor(error, 'guard');
    this.refusals.record({ channel: this.channel, reason: reasonOf(error), status, detail: error.message });
    return new HttpException(body, status);
  }

  protected setHeader(context: ExecutionContext, name: string, value: string): void {
    this.adapterHost.httpAdapter.setHeader(context.switchToHttp().getResponse(), name, value);
  }
}
