import { Inject, Req, UseFilters } from '@nestjs/common';
import { Public } from '../decorators/public.decorator.js';
import { KEYCLOAK_LOGOUT_OPTIONS } from '../keycloak-logout.constants.js';
import { KeycloakAdminService } from '../keycloak-admin/keycloak-admin.service.js';
import { BackchannelLogoutService } from '../logout-token/backchannel-logout.service.js';
import type { ResolvedKeycloakLogoutOptions } from '../options/keycloak-logout-options.interface.js';
import { readFormParameter, readTextBody, type IncomingRequest } from '../utils/request-body.js';
import { withStatus } from './error-response.js';
import { KeycloakLogoutExceptionFilter } from './keycloak-logout-exception.filter.js';

/**
 * The handlers of every logout route. It carries no route decorators itself:
 * `createKeycloakLogoutController` derives a class per configuration, under the configured
 * prefix, with only the enabled routes mounted.
 */
@Public()
@UseFilters(KeycloakLogoutExceptionFilter)
export class KeycloakLogoutController {
  constructor(
    @Inject(KEYCLOAK_LOGOUT_OPTIONS) private readonly options: ResolvedKeycloakLogoutOptions,
    private readonly backchannel: BackchannelLogoutService,
    private readonly keycloakAdmin: KeycloakAdminService,
  ) {}

  /** OIDC Back-Channel Logout 1.0 §2.5-2.8: 200 on success, 400 with a JSON error otherwise. */
  async backchannelLogout(@Req() request: IncomingRequest): Promise<void> {
    try {
      const token = readFormParameter(request, 'logout_token', this.options.maxBodyBytes);
      await this.backchannel.logout(token);
    } catch (error) {
      throw withStatus(error, 400);
    }
  }

  /** Keycloak Admin URL `k_logout`: single-session logout, or "sign out all" as a not-before. */
  async keycloakLogout(@Req() request: IncomingRequest): Promise<void> {
    await this.keycloakAdmin.handle(await readTextBody(request, this.options.maxBodyBytes), 'LOGOUT');
  }

  /** Keycloak Admin URL `k_push_not_before`: the client's "push revocation". */
  async keycloakPushNotBefore(@Req() request: IncomingRequest): Promise<void> {
    await this.keycloakAdmin.handle(await readTextBody(request, this.options.maxBodyBytes), 'PUSH_NOT_BEFORE');
  }

  /** Keycloak Admin URL `k_test_available`: the admin console's "Test availability". */
  async keycloakTestAvailable(@Req() request: IncomingRequest): Promise<void> {
    await this.keycloakAdmin.handle(await readTextBody(request, this.options.maxBodyBytes), 'TEST_AVAILABILITY');
  }
}
