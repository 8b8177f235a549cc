import { Controller, Get, Post, Req, Res, UseFilters } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { Public } from '../decorators/public.decorator.js';
import { KeycloakLogoutExceptionFilter } from '../http/keycloak-logout-exception.filter.js';
import type { SessionRequest } from '../session/session-access.js';
import { writeBrowserAnswer } from './browser-answer.js';
import { RpLogoutService } from './rp-logout.service.js';

/** RP-initiated logout (OIDC RP-Initiated Logout 1.0): confirm, log out locally, then at the OP. */
@Controller()
@Public()
@UseFilters(KeycloakLogoutExceptionFilter)
export class LogoutController {
  constructor(
    private readonly browserLogout: RpLogoutService,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  /** `GET {prefix}/logout`: a confirmation page (never a silent logout). */
  @Get('logout')
  async confirm(@Req() request: SessionRequest, @Res() response: unknown): Promise<void> {
    // Relative: the form posts back to this very route whatever global prefix or proxy path is in front.
    writeBrowserAnswer(this.adapterHost.httpAdapter, response, await this.browserLogout.confirmationPage(request, 'logout'));
  }

  /** `POST {prefix}/logout` with `csrf_token`: local logout, then the OP's end_session_endpoint. */
  @Post('logout')
  async logout(@Req() request: SessionRequest, @Res() response: unknown): Promise<void> {
    writeBrowserAnswer(this.adapterHost.httpAdapter, response, await this.browserLogout.logout(request));
  }

  /** `GET {prefix}/logout/return`: back from the OP's logout. */
  @Get('logout/return')
  async return(@Req() request: SessionRequest, @Res() response: unknown): Promise<void> {
    writeBrowserAnswer(this.adapterHost.httpAdapter, response, await this.browserLogout.logoutReturn(request));
  }
}
