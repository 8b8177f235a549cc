import { Controller, Header, HttpCode, Inject, Param, Post, Req, UseFilters } from '@nestjs/common';
import { Public } from '../decorators/public.decorator.js';
import { KeycloakLogoutExceptionFilter } from '../http/keycloak-logout-exception.filter.js';
import { KEYCLOAK_LOGOUT_OPTIONS } from '../keycloak-logout.constants.js';
import type { ResolvedKeycloakLogoutOptions } from '../options/keycloak-logout-options.interface.js';
import type { AdminActionName } from '../tokens/admin-action.interface.js';
import { KeycloakLogoutTelemetry } from '../telemetry/keycloak-logout-telemetry.js';
import { readTextBody, type IncomingRequest } from '../utils/request-body.js';
import { adminLogoutPath, measuresAdminAction } from './admin-logout-path.js';
import { RealmDirectory } from '../realms/realm-directory.service.js';
import { realmOfRoute } from '../realms/realm-of-route.js';
import type { FurtherRealm } from '../realms/realm.interface.js';
import { KeycloakAdminService } from './keycloak-admin.service.js';

/**
 * Keycloak's Admin URL callbacks. Keycloak appends these paths to the client's Admin URL, so
 * the Admin URL to configure is `https://app/{prefix}`. Each body is a raw compact JWS. A realm
 * of the `realms` option has its own, under the Admin URL `https://app/{prefix}/realms/{name}`:
 * an admin action names no issuer, so the route says whose keys must have signed it.
 */
@Controller()
@Public()
@UseFilters(KeycloakLogoutExceptionFilter)
export class KeycloakAdminController {
  constructor(
    @Inject(KEYCLOAK_LOGOUT_OPTIONS) private readonly options: ResolvedKeycloakLogoutOptions,
    private readonly keycloakAdmin: KeycloakAdminService,
    private readonly telemetry: KeycloakLogoutTelemetry,
    private readonly realms: RealmDirectory,
  ) {}

  /** Single-session logout, or "Sign out all active sessions" as a not-before. */
  @Post('k_logout')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  logout(@Req() request: IncomingRequest): Promise<void> {
    return this.handle(request, 'LOGOUT');
  }

  /** The client's or realm's "Push" revocation. */
  @Post('k_push_not_before')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  pushNotBefore(@Req() request: IncomingRequest): Promise<void> {
    return this.handle(request, 'PUSH_NOT_BEFORE');
  }

  /** The admin console's "Test availability". */
  @Post('k_test_available')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  testAvailable(@Req() request: IncomingRequest): Promise<void> {
    return this.handle(request, 'TEST_AVAILABILITY');
  }

  @Post('realms/:realm/k_logout')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  logoutOfRealm(@Param('realm') name: string, @Req() request: IncomingRequest): Promise<void> {
    return this.handle(request, 'LOGOUT', realmOfRoute(this.realms, name));
  }

  @Post('realms/:realm/k_push_not_before')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  pushNotBeforeOfRealm(@Param('realm') name: string, @Req() request: IncomingRequest): Promise<void> {
    return this.handle(request, 'PUSH_NOT_BEFORE', realmOfRoute(this.realms, name));
  }

  @Post('realms/:realm/k_test_available')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  testAvailableOfRealm(@Param('realm') name: string, @Req() request: IncomingRequest): Promise<void> {
    return this.handle(request, 'TEST_AVAILABILITY', realmOfRoute(this.realms, name));
  }

  private async handle(request: IncomingRequest, action: AdminActionName, realm?: FurtherRealm): Promise<void> {
    const run = async () => this.keycloakAdmin.handle(await readTextBody(request, this.options.maxBodyBytes), action, realm);
    if (!measuresAdminAction(action)) {
      await run();
      return;
    }
    await this.telemetry.logouts.handle(action === 'PUSH_NOT_BEFORE' ? 'not_before' : 'k_logout', async (handling) => {
      const path = adminLogoutPath((await run()).action);
      if (path === undefined) handling.ignore('nothing_named');
      else handling.setPath(path);
    });
  }
}
