import { Controller, Get, Header, Inject, Req, Sse, UseFilters, UseGuards, type MessageEvent } from '@nestjs/common';
import type { Request } from 'express';
import { CurrentSession, KeycloakSessionGuard, SseStreams, type KeycloakLoginRecord } from 'nestjs-keycloak-logout';
import { interval, map, merge, of, type Observable } from 'rxjs';
import { PageStreams } from './demo-events/page-streams.js';
import { renderPage } from './page.template.js';
import { SAMPLE_CONFIG, type SampleConfig } from './sample-config.js';
import { sessionFingerprint } from './session-fingerprint.js';
import { SignedOutPageFilter } from './signed-out-page.filter.js';

@Controller()
export class PageController {
  constructor(
    @Inject(SAMPLE_CONFIG) private readonly config: SampleConfig,
    private readonly sse: SseStreams,
    private readonly streams: PageStreams,
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
      user: { name, username, session: session.sid === undefined ? undefined : sessionFingerprint(session.sid), csrfToken: session.logoutCsrfToken },
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
   * The page's live connection: server-sent events opened through the library's SseStreams, so
   * the library registers the stream under this session and, when the session is logged out by
   * any path on any instance, sends a final `logout` event and ends it. A session already logged
   * out is refused by the guard (401), which ends the EventSource too. Through it the page also
   * gets the app's timeline entries and, just before the `logout` event, why and when (`why`).
   */
  @Sse('events')
  @UseGuards(KeycloakSessionGuard)
  events(@Req() request: Request, @CurrentSession() session: KeycloakLoginRecord): Observable<MessageEvent> {
    const signedIn = of<MessageEvent>({ type: 'signed-in', data: { sub: session.sub } });
    // Keeps proxies from closing an idle stream.
    const keepAlive = interval(15_000).pipe(map((): MessageEvent => ({ type: 'ping', data: '' })));
    return this.sse.open(request, merge(signedIn, keepAlive, this.streams.eventsFor(request)));
  }
}
