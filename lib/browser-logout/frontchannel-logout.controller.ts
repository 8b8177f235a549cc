import { Controller, Get, Req, Res, UseFilters } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { Public } from '../decorators/public.decorator.js';
import { KeycloakLogoutExceptionFilter } from '../http/keycloak-logout-exception.filter.js';
import type { SessionRequest } from '../session/session-access.js';
import { writeBrowserAnswer } from './browser-answer.js';
import { FrontchannelLogoutService } from './frontchannel-logout.service.js';

/** `GET {prefix}/frontchannel-logout?iss=…&sid=…`: OIDC Front-Channel Logout 1.0, in the OP's iframe. */
@Controller()
@Public()
@UseFilters(KeycloakLogoutExceptionFilter)
export class FrontchannelLogoutController {
  constructor(
    private readonly frontchannel: FrontchannelLogoutService,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  @Get('frontchannel-logout')
  async logout(@Req() request: SessionRequest, @Res() response: unknown): Promise<void> {
    writeBrowserAnswer(this.adapterHost.httpAdapter, response, await this.frontchannel.logout(request));
  }
}
