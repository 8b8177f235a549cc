import { Controller, Get, Req, Res, UseFilters } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { writeBrowserAnswer } from '../browser-logout/browser-answer.js';
import { Public } from '../decorators/public.decorator.js';
import { KeycloakLogoutExceptionFilter } from '../http/keycloak-logout-exception.filter.js';
import type { SessionRequest } from '../session/session-access.js';
import { LoginService } from './login.service.js';

/** Browser login (Authorization Code + PKCE) into the app's server-side session. */
@Controller()
@Public()
@UseFilters(KeycloakLogoutExceptionFilter)
export class LoginController {
  constructor(
    private readonly loginService: LoginService,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  /** `GET {prefix}/login?returnTo=/path`: redirect to the OP's authorization endpoint. */
  @Get('login')
  async login(@Req() request: SessionRequest, @Res() response: unknown): Promise<void> {
    const url = await this.loginService.start(request);
    writeBrowserAnswer(this.adapterHost.httpAdapter, response, { kind: 'redirect', url, status: 302 });
  }

  /** `GET {prefix}/callback`: the OP's redirect with `code` and `state`. */
  @Get('callback')
  async callback(@Req() request: SessionRequest, @Res() response: unknown): Promise<void> {
    const returnTo = await this.loginService.complete(request);
    writeBrowserAnswer(this.adapterHost.httpAdapter, response, { kind: 'redirect', url: returnTo, status: 302 });
  }
}
