import { Inject, Injectable } from '@nestjs/common';
import { KEYCLOAK_LOGOUT_OPTIONS } from '../keycloak-logout.constants.js';
import type { ResolvedKeycloakLogoutOptions } from '../options/keycloak-logout-options.interface.js';
import { isSessionStore, type RequestWithSessionStoreRef, type SessionStoreLike } from './session-store.interface.js';

/**
 * The app's server-side session store, so that sessions can be destroyed by id when a logout
 * ends them: the `sessionStore` option, or else the store express-session / @fastify/session
 * put on the first request the library's guard or routes saw.
 */
@Injectable()
export class SessionStoreAccess {
  private store: SessionStoreLike | undefined;

  constructor(@Inject(KEYCLOAK_LOGOUT_OPTIONS) options: ResolvedKeycloakLogoutOptions) {
    this.store = options.sessionStore;
  }

  get known(): boolean {
    return this.store !== undefined;
  }

  /** Remembers the request's session store, once. Cheap enough for every request. */
  learnFrom(request: RequestWithSessionStoreRef): void {
    if (this.store === undefined && isSessionStore(request.sessionStore)) this.store = request.sessionStore;
  }

  /** Destroys one stored session. Resolves false when no store is known. */
  destroy(sessionId: string): Promise<boolean> {
    const store = this.store;
    if (store === undefined) return Promise.resolve(false);
    return new Promise<boolean>((resolve, reject) => {
      let settled = false;
      const finish = (error?: unknown) => {
        if (settled) return;
        settled = true;
        if (error) reject(error instanceof Error ? error : new Error('the session store could not destroy a session'));
        else resolve(true);
      };
      try {
        const result = store.destroy(sessionId, finish);
        if (result instanceof Promise) result.then(() => finish(), finish);
      } catch (error) {
        finish(error);
      }
    });
  }
}
