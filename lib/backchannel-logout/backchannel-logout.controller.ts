import { Controller, Header, HttpCode, Inject, Param, Post, Req, UseFilters } from '@nestjs/common';
import { Public } from '../decorators/public.decorator.js';
import { KeycloakLogoutExceptionFilter } from '../http/keycloak-logout-exception.filter.js';
import { KEYCLOAK_LOGOUT_OPTIONS } from '../keycloak-logout.constants.js';
import type { ResolvedKeycloakLogoutOptions } from '../options/keycloak-logout-options.interface.js';
import { KeycloakLogoutTelemetry } from '../telemetry/keycloak-logout-telemetry.js';
import { readFormParameter, type IncomingRequest } from '../utils/request-body.js';
import { RealmDirectory } from '../realms/realm-directory.service.js';
import { realmOfRoute } from '../realms/realm-of-route.js';
import { BackchannelLogoutService } from './backchannel-logout.service.js';

/**
 * `POST {prefix}/backchannel-logout`: OIDC Back-Channel Logout 1.0 §2.5-2.8, 200 on success and
 * 400 with a JSON error otherwise (the answer table's back-channel edge), never cached. Each
 * realm of the `realms` option has its own, `POST {prefix}/realms/{name}/backchannel-logout`,
 * which accepts only that realm's logout tokens.
 */
@Controller()
@Public()
@UseFilters(KeycloakLogoutExceptionFilter)
export class BackchannelLogoutController {
  constructor(
    @Inject(KEYCLOAK_LOGOUT_OPTIONS) private readonly options: ResolvedKeycloakLogoutOptions,
    private readonly backchannel: BackchannelLogoutService,
    private readonly telemetry: KeycloakLogoutTelemetry,
    private readonly realms: RealmDirectory,
  ) {}

  @Post('backchannel-logout')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  async logout(@Req() request: IncomingRequest): Promise<void> {
    // Measured from the body read on, so a request without a logout token is counted too.
    await this.telemetry.logouts.handle('backchannel', () => this.backchannel.logout(readFormParameter(request, 'logout_token', this.options.maxBodyBytes)));
  }

  @Post('realms/:realm/backchannel-logout')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  async logoutOfRealm(@Param('realm') name: string, @Req() request: IncomingRequest): Promise<void> {
    const realm = realmOfRoute(this.realms, name);
    await this.telemetry.logouts.handle('backchannel', () => this.backchannel.logout(readFormParameter(request, 'logout_token', this.options.maxBodyBytes), realm));
  }
}
