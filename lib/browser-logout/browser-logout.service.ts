import { randomBytes } from 'node:crypto';
import { sameSecret } from '../utils/same-secret.js';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { LogoutFailedError } from '../errors/logout-failed.error.js';
import { RequestInvalidError } from '../errors/request-invalid.error.js';
import { KEYCLOAK_LOGOUT_OPTIONS } from '../keycloak-logout.constants.js';
import { normalizeReturnTo, returnToProblem } from '../login/return-to.js';
import {
  limitSessionLifetime,
  regenerateSession,
  requireSession,
  saveSession,
  sessionIdOf,
  type RequestWithSessionStore,
  type SessionObject,
} from '../login/session-access.js';
import type { ResolvedKeycloakLogoutOptions } from '../options/keycloak-logout-options.interface.js';
import { OidcDiscoveryService } from '../oidc/oidc-discovery.service.js';
import { RefusalLog } from '../refusals/refusal-log.service.js';
import { SessionRegistry } from '../registry/session-registry.js';
import { RevocationService } from '../revocation/revocation.service.js';
import type { Revocation } from '../revocation/revocation.interface.js';
import { isIdentifier } from '../tokens/token-rules.js';
import { fingerprint } from '../utils/fingerprint.js';
import type { BrowserAnswer } from './browser-answer.js';
import { htmlPage, logoutConfirmationPage } from './html-page.js';

/** Session key of an RP-initiated logout waiting for the OP to send the browser back. */
export const PENDING_LOGOUT_KEY = 'keycloak-logout:pending-logout';
const LOGOUT_TTL_MS = 10 * 60_000;

interface PendingLogout {
  state: string;
  returnTo: string;
  createdAt: number;
}

/** The parts of a login record the logout route needs (written by the login route, or by the app). */
interface LoginRecordLike {
  sub: string;
  sid?: string;
  idToken?: unknown;
  logoutCsrfToken?: unknown;
}

function paramsOf(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function optionalText(params: Record<string, unknown>, name: string): string | undefined {
  const value = params[name];
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') throw new RequestInvalidError(`"${name}" must be given once, as a string`);
  return value;
}

function header(request: RequestWithSessionStore, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The browser-facing logout routes:
 * - RP-initiated logout (OIDC RP-Initiated Logout 1.0): `GET {prefix}/logout` shows a
 *   confirmation page, `POST {prefix}/logout` with the session's `csrf_token` ends the local
 *   session, revokes its `sid` and session id through RevocationService (source `rp-logout`,
 *   so other instances learn of it) and redirects to the OP's end_session_endpoint;
 *   `GET {prefix}/logout/return` is where the OP sends the browser back.
 * - Front-channel logout (OIDC Front-Channel Logout 1.0): `GET {prefix}/frontchannel-logout`.
 */
@Injectable()
export class BrowserLogoutService {
  private readonly logger = new Logger(BrowserLogoutService.name);

  constructor(
    @Inject(KEYCLOAK_LOGOUT_OPTIONS) private readonly options: ResolvedKeycloakLogoutOptions,
    private readonly discovery: OidcDiscoveryService,
    private readonly revocations: RevocationService,
    private readonly registry: SessionRegistry,
    private readonly refusals: RefusalLog,
  ) {}

  /**
   * `GET {prefix}/logout`: never logs out by itself (a cross-site link or image must not end
   * the session). Signed in: a confirmation page whose form POSTs with the CSRF token.
   * Not signed in: straight to `returnTo`.
   */
  async confirmationPage(request: RequestWithSessionStore, action: string): Promise<BrowserAnswer> {
    const session = requireSession(request);
    const query = paramsOf(request.query);
    const returnTo = this.returnTo(optionalText(query, 'returnTo'));
    const postLogoutRedirectUri = this.postLogoutRedirectUri(optionalText(query, 'post_logout_redirect_uri'));
    const record = this.loginRecord(session);
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
  async logout(request: RequestWithSessionStore): Promise<BrowserAnswer> {
    const session = requireSession(request);
    this.assertSameSite(request);
    const form = this.formOf(request);
    const returnTo = this.returnTo(optionalText(form, 'returnTo'));
    const postLogoutRedirectUri = this.postLogoutRedirectUri(optionalText(form, 'post_logout_redirect_uri'));
    const record = this.loginRecord(session);
    if (record === undefined) return { kind: 'redirect', url: returnTo, status: 303 };

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
  async logoutReturn(request: RequestWithSessionStore): Promise<BrowserAnswer> {
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

  /**
   * `GET {prefix}/frontchannel-logout?iss=…&sid=…` (Front-Channel Logout 1.0 §2-3): revokes that
   * `sid` when `iss` is this client's issuer, and answers a page the OP can frame. Keycloak
   * sends `iss` and `sid` when the client's "Front-channel logout session required" is on.
   * Only a sid this app knows (the session registry has it, or it is the requester's own
   * session's) is revoked; an unknown one is answered the same way but neither stored nor
   * published. Anything malformed revokes nothing and is answered 400.
   */
  async frontchannelLogout(request: { query?: unknown; session?: Record<string, unknown> }): Promise<BrowserAnswer> {
    const query = paramsOf(request.query);
    if (query.iss === undefined && query.sid === undefined) {
      throw new RequestInvalidError('front-channel logout needs "iss" and "sid" (turn on "Front channel logout session required" for this client); nothing was logged out');
    }
    if (typeof query.iss !== 'string' || typeof query.sid !== 'string') {
      throw new RequestInvalidError('front-channel logout needs both "iss" and "sid", once each; nothing was logged out');
    }
    if (query.iss !== this.options.issuer) throw new RequestInvalidError('"iss" is not this client\'s issuer; nothing was logged out');
    if (!isIdentifier(query.sid)) throw new RequestInvalidError('"sid" must be a non-empty session id; nothing was logged out');
    if (await this.isKnownSid(request, query.sid)) {
      await this.revocations.revokeSid(query.sid, { source: 'frontchannel-logout' });
      this.logger.log(`front-channel logout: revoked sid ${fingerprint(query.sid)}`);
    } else {
      // Anyone can send this GET: an unknown sid must cost no memory here nor on other instances.
      this.refusals.record({
        channel: 'frontchannel-logout',
        reason: 'unknown_sid',
        status: 200,
        detail: 'no session of this app has that sid (already logged out, or made up); nothing was stored or published',
      });
    }
    return { kind: 'page', status: 200, html: htmlPage('Signed out', '<p>Signed out.</p>'), frameAncestors: new URL(this.options.issuer).origin };
  }

  /** Whether a session of this app carries `sid`: the requester's own, or one the registry holds. */
  private async isKnownSid(request: { session?: Record<string, unknown> }, sid: string): Promise<boolean> {
    const own = request.session?.[this.options.sessionProperty];
    if (typeof own === 'object' && own !== null && (own as { sid?: unknown }).sid === sid) return true;
    try {
      return (await this.registry.findBySid(sid)).length > 0;
    } catch (cause) {
      throw new LogoutFailedError('unavailable', 'the session registry could not be read; nothing was logged out', { cause });
    }
  }

  private loginRecord(session: SessionObject): LoginRecordLike | undefined {
    const record = session[this.options.sessionProperty];
    if (typeof record !== 'object' || record === null) return undefined;
    const data = record as Record<string, unknown>;
    if (typeof data.sub !== 'string') return undefined;
    const sid = typeof data.sid === 'string' ? data.sid : undefined;
    return { sub: data.sub, ...(sid !== undefined ? { sid } : {}), idToken: data.idToken, logoutCsrfToken: data.logoutCsrfToken };
  }

  private returnTo(value: string | undefined): string {
    if (value === undefined) return this.options.defaultReturnTo;
    const problem = returnToProblem(value);
    if (problem !== undefined) throw new RequestInvalidError(`"returnTo" ${problem}`);
    return normalizeReturnTo(value);
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
  private assertSameSite(request: RequestWithSessionStore): void {
    const origin = header(request, 'origin');
    const expected = this.options.publicUrl === undefined ? undefined : new URL(this.options.publicUrl).origin;
    if (origin !== undefined && origin !== expected) {
      throw new LogoutFailedError('cross_site', `logout refused: cross-site request from origin ${JSON.stringify(origin.slice(0, 100))}`);
    }
    if (header(request, 'sec-fetch-site') === 'cross-site') throw new LogoutFailedError('cross_site', 'logout refused: cross-site request');
  }

  private formOf(request: RequestWithSessionStore): Record<string, unknown> {
    const contentType = header(request, 'content-type');
    if (contentType === undefined || !/^application\/x-www-form-urlencoded\s*(;|$)/i.test(contentType)) {
      throw new RequestInvalidError('logout expects an application/x-www-form-urlencoded form with "csrf_token"');
    }
    const length = Number(header(request, 'content-length') ?? 0);
    if (length > this.options.maxBodyBytes) throw new RequestInvalidError(`request body exceeds ${this.options.maxBodyBytes} bytes`, 'too_large');
    return paramsOf(request.body);
  }

  /** Revokes the session id and `sid` for every instance. A failure is logged, not fatal: the OP's back-channel logout follows. */
  private async revokeLocally(sessionId: string | undefined, record: LoginRecordLike): Promise<void> {
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
