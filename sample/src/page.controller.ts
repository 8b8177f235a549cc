import { Controller, Get, Header, Inject, Req, Sse, UseFilters, UseGuards, type MessageEvent } from '@nestjs/common';
import type { Request } from 'express';
import {
  CurrentSession,
  KeycloakSessionGuard,
  Public,
  RevocationService,
  type KeycloakLoginRecord,
} from 'nestjs-keycloak-logout';
import { Observable } from 'rxjs';
import { renderPage } from './page.template.js';
import { SAMPLE_CONFIG, type SampleConfig } from './sample-config.js';
import { SignedOutPageFilter } from './signed-out-page.filter.js';

type SessionRequest = Request & { session?: { keycloak?: KeycloakLoginRecord } };

@Controller()
export class PageController {
  constructor(
    @Inject(SAMPLE_CONFIG) private readonly config: SampleConfig,
    private readonly revocations: RevocationService,
  ) {}

  /** The page, guarded by the session guard; refused sessions see the signed-out page. */
  @Get()
  @UseGuards(KeycloakSessionGuard)
  @UseFilters(SignedOutPageFilter)
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Cache-Control', 'no-store')
  home(@CurrentSession() session: KeycloakLoginRecord): string {
    const claims = session.claims;
    const username = typeof claims.preferred_username === 'string' ? claims.preferred_username : session.sub;
    const name = typeof claims.name === 'string' ? claims.name : username;
    return renderPage({
      appName: this.config.appName,
      otherAppUrl: this.config.otherAppUrl,
      user: { name, username, sid: session.sid, csrfToken: session.logoutCsrfToken },
    });
  }

  /** For the page's "Call /api/me" button: this session's access token. */
  @Get('session/token')
  @UseGuards(KeycloakSessionGuard)
  @Header('Cache-Control', 'no-store')
  token(@CurrentSession() session: KeycloakLoginRecord): { access_token: string | null } {
    return { access_token: session.accessToken ?? null };
  }

  /**
   * Server-sent events: `signed-out` as soon as this session is revoked, by any logout path on
   * any instance (RevocationService.onLogout fires for every new revocation this instance learns of).
   */
  @Sse('events')
  @Public()
  events(@Req() request: SessionRequest): Observable<MessageEvent> {
    const record = request.session?.keycloak;
    const adapterSessionId = request.sessionID;
    return new Observable<MessageEvent>((subscriber) => {
      const signedOut = () =>
        record === undefined ||
        this.revocations.revocationReason({ sid: record.sid, sub: record.sub, iat: record.issuedAt, adapterSessionId }) !== undefined;
      const report = () => {
        if (!signedOut()) return false;
        subscriber.next({ type: 'signed-out', data: { reason: 'logged out' } });
        subscriber.complete();
        return true;
      };
      if (report()) return undefined;
      subscriber.next({ type: 'signed-in', data: { sub: record?.sub } });
      const unsubscribe = this.revocations.onLogout(() => {
        report();
      });
      // Keeps proxies from closing an idle stream.
      const keepAlive = setInterval(() => subscriber.next({ type: 'ping', data: '' }), 15_000);
      return () => {
        unsubscribe();
        clearInterval(keepAlive);
      };
    });
  }
}
