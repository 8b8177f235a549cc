import { randomBytes } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { LogoutFailedError } from '../errors/logout-failed.error.js';
import { RequestInvalidError } from '../errors/request-invalid.error.js';
import { KEYCLOAK_LOGOUT_OPTIONS } from '../keycloak-logout.constants.js';
import { OidcDiscoveryService } from '../oidc/oidc-discovery.service.js';
import type { ResolvedKeycloakLogoutOptions } from '../options/keycloak-logout-options.interface.js';
import { RevocationService } from '../revocation/revocation.service.js';
import type { Revocation } from '../revocation/revocation.interface.js';
import type { KeycloakSessionData } from '../session/keycloak-session-data.interface.js';
import { resolveReturnTo, returnToProblem } from '../session/return-to.js';
import {
  limitSessionLifetime,
  readLoginRecord,
  regenerateSession,
  requireSession,
  saveSession,
  sessionIdOf,
  type SessionRequest,
} from '../session/session-access.js';
import { KeycloakLogoutTelemetry } from '../telemetry/keycloak-logout-telemetry.js';
import { fingerprint } from '../utils/fingerprint.js';
import { headerOf, optionalText, paramsOf } from '../utils/request-params.js';
import { sameSecret } from '../utils/same-secret.js';
import type { BrowserAnswer } from './browser-answer.js';
import { logoutConfirmationPage } from './html-page.js';

/** Session key of an RP-initiated logout waiting for the OP to send the browser back. */
export const PENDING_LOGOUT_KEY = 'keycloak-logout:pending-logout';
const LOGOUT_TTL_MS = 10 * 60_000;

interface PendingLogout {
  state: string;
  returnTo: string;
  createdAt: number;
}

/**
 * RP-initiated logout (OIDC RP-Initiated Logout 1.0): `GET {prefix}/logout` shows a
 * confirmation page, `POST {prefix}/logout` with the session's `csrf_token` ends the local
 * session, revokes its `sid` and session id through RevocationService (source `rp-logout`, so
 * other instances learn of it) and redirects to the OP's end_session_endpoint;
 * `GET {prefix}/logout/return` is where the OP sends the browser back.
 */
@Injectable()
export class RpLogoutService {
  private readonly logger = new Logger(RpLogoutService.name);

  constructor(
    @Inject(KEYCLOAK_LOGOUT_OPTIONS) private readonly options: ResolvedKeycloakLogoutOptions,
    private readonly discovery: OidcDiscoveryService,
    private readonly revocations: RevocationService,
    private readonly telemetry: KeycloakLogoutTelemetry,
  ) {}

  /**
   * `GET {prefix}/logout`: never logs out by itself (a cross-site link or image must not end
   * the session). Signed in: a confirmation page whose form POSTs with the CSRF token.
   * Not signed in: straight to `returnTo`.
   */
  async confirmationPage(request: SessionRequest, action: string): Promise<BrowserAnswer> {
    const session = requireSession(request);
    const query = paramsOf(request.query);
    const returnTo = resolveReturnTo(optionalText(query, 'returnTo'), this.options.defaultReturnTo);
    const postLogoutRedirectUri = this.postLogoutRedirectUri(optionalText(query, 'post_logout_redirect_uri'));
    const record = readLoginRecord(session, this.options.sessionProperty);
    if (record === undefined) return { kind: 'redirect', url: returnTo, status: 302 };
    let csrfToken = typeof record.logoutCsrfToken === 'string' ? record.logoutCsrfToken : '';
    if (csrfToken === '') {
      // A login record written by the app's own login: give it a token now.
      csrfToken = randomBytes(32).toString('base64url');
      (session[this.options.sessionProperty] as Record<string, unknown>).logoutCsrfToken = csrfToken;
      await saveSession(request);
    }
    const html = logoutConfirmationPage({
      action,
      csrfToken,
      returnTo,
      ...(optionalText(query, 'post_logout_redirect_uri') !== undefined ? { postLogoutRedirectUri } : {}),
    });
    return { kind: 'page', status: 200, html, frameAncestors: "'none'" };
  }

  /** `POST {prefix}/logout`: the RP-initiated logout itself. */
  logout(request: SessionRequest): Promise<BrowserAnswer> {
    return this.telemetry.logouts.handle('rp_initiated', (handling) => this.logoutSession(request, () => handling.ignore('not_signed_in')));
  }

  private async logoutSession(request: SessionRequest, notSignedIn: () => void): Promise<BrowserAnswer> {
    const session = requireSession(request);
    this.assertSameSite(request);
    const form = this.formOf(request);
    const returnTo = resolveReturnTo(optionalText(form, 'returnTo'), this.options.defaultReturnTo);
    const postLogoutRedirectUri = this.postLogoutRedirectUri(optionalText(form, 'post_logout_redirect_uri'));
    const record = readLoginRecord(session, this.options.sessionProperty);
    if (record === undefined) {
      notSignedIn();
      return { kind: 'redirect', url: returnTo, status: 303 };
    }

    const csrfToken = optionalText(form, 'csrf_token');
    if (typeof record.logoutCsrfToken !== 'string' || csrfToken === undefined || !sameSecret(csrfToken, record.logoutCsrfToken)) {
      throw new LogoutFailedError('csrf', 'logout refused: the form\'s "csrf_token" is missing or wrong (cross-site request?)');
    }
    // Before anything changes: an OP that cannot be reached fails the request, so the user can retry.
    const endSessionEndpoint = (await this.discovery.metadata()).end_session_endpoint;

    const sessionId = sessionIdOf(request);
    await this.revokeLocally(sessionId, record);
    const state = randomBytes(32).toString('base64url');
    const fresh = await regenerateSession(request);
    fresh[PENDING_LOGOUT_KEY] = { state, returnTo, createdAt: Date.now() } satisfies PendingLogout;
    // Signed out now: the session only carries the pending logout, and need not outlive it.
    limitSessionLifetime(fresh, LOGOUT_TTL_MS);
    await saveSession(request);
    this.logger.log(`RP-initiated logout: sub ${fingerprint(record.sub)}${record.sid !== undefined ? `, sid ${fingerprint(record.sid)}` : ''}`);

    if (typeof endSessionEndpoint !== 'string' || endSessionEndpoint === '') {
      this.logger.warn('the OP advertises no end_session_endpoint: logged out locally only');
      return { kind: 'redirect', url: returnTo, status: 303 };
    }
    const url = new URL(endSessionEndpoint);
    if (typeof record.idToken === 'string') url.searchParams.set('id_token_hint', record.idToken);
    url.searchParams.set('client_id', this.options.clientId);
    url.searchParams.set('post_logout_redirect_uri', postLogoutRedirectUri);
    url.searchParams.set('state', state);
    return { kind: 'redirect', url: url.href, status: 303 };
  }

  /**
   * `GET {prefix}/logout/return`: the OP's redirect after its logout. With the `state` this
   * browser's logout sent, to the `returnTo` it asked for; otherwise to `defaultReturnTo`.
   */
  async logoutReturn(request: SessionRequest): Promise<BrowserAnswer> {
    const session = requireSession(request);
    const state = paramsOf(request.query).state;
    const pending = session[PENDING_LOGOUT_KEY] as Partial<PendingLogout> | undefined;
    let target = this.options.defaultReturnTo;
    if (pending !== undefined) {
      delete session[PENDING_LOGOUT_KEY];
      const valid = typeof pending.state === 'string' && typeof state === 'string' && sameSecret(pending.state, state)
        && typeof pending.createdAt === 'number' && Date.now() - pending.createdAt < LOGOUT_TTL_MS
        && typeof pending.returnTo === 'string' && returnToProblem(pending.returnTo) === undefined;
      if (valid) target = pending.returnTo as string;
      await saveSession(request);
    }
    return { kind: 'redirect', url: target, status: 302 };
  }

  /** Only exact members of the configured allow-list: the OP checks its own list too, but this app must not depend on it. */
  private postLogoutRedirectUri(value: string | undefined): string {
    const allowed = this.options.postLogoutRedirectUris;
    if (value === undefined) {
      const first = allowed[0];
      if (first === undefined) throw new LogoutFailedError('misconfigured', 'no postLogoutRedirectUris are configured');
      return first;
    }
    if (!allowed.includes(value)) throw new RequestInvalidError('"post_logout_redirect_uri" is not in the configured allow-list (postLogoutRedirectUris)');
    return value;
  }

  /** Defense in depth beside the CSRF token: browsers name the requesting site in Origin and Sec-Fetch-Site. */
  private assertSameSite(request: SessionRequest): void {
    const origin = headerOf(request, 'origin');
    const expected = this.options.publicUrl === undefined ? undefined : new URL(this.options.publicUrl).origin;
    if (origin !== undefined && origin !== expected) {
      throw new LogoutFailedError('cross_site', `logout refused: cross-site request from origin ${JSON.stringify(origin.slice(0, 100))}`);
    }
    if (headerOf(request, 'sec-fetch-site') === 'cross-site') throw new LogoutFailedError('cross_site', 'logout refused: cross-site request');
  }

  private formOf(request: SessionRequest): Record<string, unknown> {
    const contentType = headerOf(request, 'content-type');
    if (contentType === undefined || !/^application\/x-www-form-urlencoded\s*(;|$)/i.test(contentType)) {
      throw new RequestInvalidError('logout expects an application/x-www-form-urlencoded form with "csrf_token"');
    }
    const length = Number(headerOf(request, 'content-length') ?? 0);
    if (length > this.options.maxBodyBytes) throw new RequestInvalidError(`request body exceeds ${this.options.maxBodyBytes} bytes`, 'too_large');
    return paramsOf(request.body);
  }

  /** Revokes the session id and `sid` for every instance. A failure is logged, not fatal: the OP's back-channel logout follows. */
  private async revokeLocally(sessionId: string | undefined, record: KeycloakSessionData): Promise<void> {
    try {
      const done: Revocation[] = sessionId !== undefined ? await this.revocations.revokeAdapterSession(sessionId, { source: 'rp-logout' }) : [];
      if (record.sid !== undefined && !done.some((r) => r.type === 'sid' && r.sid === record.sid)) {
        await this.revocations.revokeSid(record.sid, { source: 'rp-logout' });
      }
    } catch (error) {
      this.logger.error(`RP-initiated logout could not publish its revocation: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}
