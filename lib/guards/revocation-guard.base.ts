import { HttpException, Inject, type ExecutionContext } from '@nestjs/common';
import { HttpAdapterHost, Reflector } from '@nestjs/core';
import { KeycloakLogoutError } from '../errors/keycloak-logout.error.js';
import { IS_PUBLIC_KEY, KEYCLOAK_LOGOUT_OPTIONS } from '../keycloak-logout.constants.js';
import type { ResolvedKeycloakLogoutOptions } from '../options/keycloak-logout-options.interface.js';
import { RevocationService } from '../revocation/revocation.service.js';
import type { ErrorBody } from '../http/error-response.js';

/**
 * What the bearer and session guards share: the `@Public()` opt-out, the failure policy, and
 * refusals as JSON errors (401/503), never a 500.
 */
export abstract class RevocationGuardBase {
  @Inject(Reflector) protected readonly reflector!: Reflector;
  @Inject(HttpAdapterHost) protected readonly adapterHost!: HttpAdapterHost;
  @Inject(RevocationService) protected readonly revocations!: RevocationService;
  @Inject(KEYCLOAK_LOGOUT_OPTIONS) protected readonly options!: ResolvedKeycloakLogoutOptions;

  protected isPublic(context: ExecutionContext): boolean {
    return this.reflector.getAllAndOverride<boolean | undefined>(IS_PUBLIC_KEY, [context.getHandler(), context.getClass()]) === true;
  }

  /** With `failurePolicy: 'refuse'`, a possibly stale revocation view refuses every request. */
  protected assertViewFresh(): void {
    const health = this.revocations.health();
    if (health.stale && this.options.failurePolicy === 'refuse') {
      throw this.refusal(503, 'temporarily_unavailable', `revocation state may be stale (${health.detail}); refusing by policy`);
    }
  }

  protected refusal(status: number, error: string, description: string): HttpException {
    const body: ErrorBody = { error, error_description: description };
    return new HttpException(body, status);
  }

  /** A library error (bad token, unreachable JWKS) as a refusal with its own status. */
  protected refusalFrom(error: unknown): unknown {
    if (error instanceof KeycloakLogoutError) return this.refusal(error.status, error.error, error.message);
    return error;
  }

  protected setHeader(context: ExecutionContext, name: string, value: string): void {
    this.adapterHost.httpAdapter.setHeader(context.switchToHttp().getResponse(), name, value);
  }
}
