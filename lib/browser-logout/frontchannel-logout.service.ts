import { Inject, Injectable, Logger } from '@nestjs/common';
import { LogoutFailedError } from '../errors/logout-failed.error.js';
import { RequestInvalidError } from '../errors/request-invalid.error.js';
import { KEYCLOAK_LOGOUT_OPTIONS } from '../keycloak-logout.constants.js';
import type { ResolvedKeycloakLogoutOptions } from '../options/keycloak-logout-options.interface.js';
import { RefusalLog } from '../refusals/refusal-log.service.js';
import { SessionRegistry } from '../registry/session-registry.js';
import { RevocationService } from '../revocation/revocation.service.js';
import { readLoginRecord, type SessionObject } from '../session/session-access.js';
import { KeycloakLogoutTelemetry } from '../telemetry/keycloak-logout-telemetry.js';
import { isIdentifier } from '../tokens/token-rules.js';
import { fingerprint } from '../utils/fingerprint.js';
import { paramsOf } from '../utils/request-params.js';
import type { BrowserAnswer } from './browser-answer.js';
import { htmlPage } from './html-page.js';

/** OIDC Front-Channel Logout 1.0: the OP loads this route in a hidden iframe of its logout page. */
@Injectable()
export class FrontchannelLogoutService {
  private readonly logger = new Logger(FrontchannelLogoutService.name);

  constructor(
    @Inject(KEYCLOAK_LOGOUT_OPTIONS) private readonly options: ResolvedKeycloakLogoutOptions,
    private readonly revocations: RevocationService,
    private readonly registry: SessionRegistry,
    private readonly refusals: RefusalLog,
    private readonly telemetry: KeycloakLogoutTelemetry,
  ) {}

  /**
   * `GET {prefix}/frontchannel-logout?iss=…&sid=…` (Front-Channel Logout 1.0 §2-3): revokes that
   * `sid` when `iss` is this client's issuer, and answers a page the OP can frame. Keycloak
   * sends `iss` and `sid` when the client's "Front-channel logout session required" is on.
   * Only a sid this app knows (the session registry has it, or it is the requester's own
   * session's) is revoked; an unknown one is answered the same way but neither stored nor
   * published. Anything malformed revokes nothing and is answered 400.
   */
  logout(request: { query?: unknown; session?: SessionObject }): Promise<BrowserAnswer> {
    return this.telemetry.logouts.handle('frontchannel', async (handling) => {
      const known = await this.revokeKnownSid(request);
      if (!known) handling.ignore('unknown_sid');
      return { kind: 'page', status: 200, html: htmlPage('Signed out', '<p>Signed out.</p>'), frameAncestors: new URL(this.options.issuer).origin };
    });
  }

  /** Checks the request and revokes its `sid` when it is one this app knows; false when it is not. */
  private async revokeKnownSid(request: { query?: unknown; session?: SessionObject }): Promise<boolean> {
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
      return false;
    }
    return true;
  }


  /** Whether a session of this app carries `sid`: the requester's own, or one the registry holds. */
  private async isKnownSid(request: { session?: SessionObject }, sid: string): Promise<boolean> {
    if (readLoginRecord(request.session, this.options.sessionProperty)?.sid === sid) return true;
    try {
      return (await this.registry.findBySid(sid)).length > 0;
    } catch (cause) {
      throw new LogoutFailedError('unavailable', 'the session registry could not be read; nothing was logged out', { cause });
    }
  }
}
