import { Injectable, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import type { KeycloakLoginRecord } from 'nestjs-keycloak-logout';
import { DemoTimeline } from './demo-timeline.js';

/**
 * On the library's login callback: once it has answered with its redirect and the session holds
 * a login record, the login goes on the timeline. (The library has no login event; its callback
 * writing the session is the login.)
 */
@Injectable()
export class LoginTimelineMiddleware implements NestMiddleware {
  constructor(private readonly timeline: DemoTimeline) {}

  use(request: Request, response: Response, next: NextFunction): void {
    response.once('finish', () => {
      const login = (request.session as { keycloak?: KeycloakLoginRecord } | undefined)?.keycloak;
      if (response.statusCode >= 300 && response.statusCode < 400 && login !== undefined) this.timeline.recordLogin(login.sid);
    });
    next();
  }
}
