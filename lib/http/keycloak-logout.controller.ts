import { Inject, Req, Res, UseFilters } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { BrowserAnswer } from '../browser-logout/browser-answer.js';
import { BrowserLogoutService } from '../browser-logout/browser-logout.service.js';
import { Public } from '../decorators/public.decorator.js';
import { KEYCLOAK_LOGOUT_OPTIONS } from '../keycloak-logout.constants.js';
import { KeycloakAdminService } from '../keycloak-admin/keycloak-admin.service.js';
import { LoginService } from '../login/login.service.js';
import type { RequestWithSessionStore } from '../login/session-access.js';
import { BackchannelLogoutService } from '../backchannel-logout/backchannel-logout.service.js';
import type { ResolvedKeycloakLogoutOptions } from '../options/keycloak-logout-options.interface.js';
import { readFormParameter, readTextBody, type IncomingRequest } from '../utils/request-body.js';
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
    private readonly loginService: LoginService,
    private readonly browserLogout: BrowserLogoutService,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  /** OIDC Back-Channel Logout 1.0 §2.5-2.8: 200 on success, 400 with a JSON error otherwise. */
  async backchannelLogout(@Req() request: IncomingRequest): Promise<void> {
    const token = readFormParameter(request, 'logout_token', this.options.maxBodyBytes);
    await this.backchannel.logout(token);
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

  /** `GET {prefix}/login?returnTo=/path`: redirect to the OP's authorization endpoint (code + PKCE). */
  async login(@Req() request: RequestWithSessionStore, @Res() response: unknown): Promise<void> {
    const url = await this.loginService.start(request);
    this.answer(response, { kind: 'redirect', url, status: 302 });
  }

  /** `GET {prefix}/callback`: the OP's redirect with `code` and `state`. */
  async loginCallback(@Req() request: RequestWithSessionStore, @Res() response: unknown): Promise<void> {
    const returnTo = await this.loginService.complete(request);
    this.answer(response, { kind: 'redirect', url: returnTo, status: 302 });
  }

  /** `GET {prefix}/logout`: a confirmation page (never a silent logout). */
  async logoutPage(@Req() request: RequestWithSessionStore, @Res() response: unknown): Promise<void> {
    // Relative: the form posts back to this very route whatever global prefix or proxy path is in front.
    this.answer(response, await this.browserLogout.confirmationPage(request, 'logout'));
  }

  /** `POST {prefix}/logout` with `csrf_token`: local logout, then the OP's end_session_endpoint. */
  async logout(@Req() request: RequestWithSessionStore, @Res() response: unknown): Promise<void> {
    this.answer(response, await this.browserLogout.logout(request));
  }

  /** `GET {prefix}/logout/return`: back from the OP's logout. */
  async logoutReturn(@Req() request: RequestWithSessionStore, @Res() response: unknown): Promise<void> {
    this.answer(response, await this.browserLogout.logoutReturn(request));
  }

  /** `GET {prefix}/frontchannel-logout?iss=…&sid=…`: OIDC Front-Channel Logout 1.0. */
  async frontchannelLogout(@Req() request: { query?: unknown }, @Res() response: unknown): Promise<void> {
    this.answer(response, await this.browserLogout.frontchannelLogout(request));
  }

  /** Writes a browser answer through the HTTP adapter, on Express and Fastify alike. Never cached. */
  private answer(response: unknown, answer: BrowserAnswer): void {
    const adapter = this.adapterHost.httpAdapter;
    adapter.setHeader(response, 'Cache-Control', 'no-store');
    if (answer.kind === 'redirect') {
      adapter.redirect(response, answer.status, answer.url);
      return;
    }
    adapter.setHeader(response, 'Content-Type', 'text/html; charset=utf-8');
    adapter.setHeader(response, 'Content-Security-Policy', `default-src 'none'; frame-ancestors ${answer.frameAncestors}`);
    adapter.setHeader(response, 'X-Content-Type-Options', 'nosniff');
    if (answer.frameAncestors === "'none'") {
      adapter.setHeader(response, 'X-Frame-Options', 'DENY');
    } else {
      // The OP frames this page; an app-wide X-Frame-Options (e.g. helmet's) would block it. CSP frame-ancestors decides.
      (response as { removeHeader?: (name: string) => void }).removeHeader?.('X-Frame-Options');
    }
    adapter.reply(response, answer.html, answer.status);
  }
}
