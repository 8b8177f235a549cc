import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { KEYCLOAK_LOGOUT_OPTIONS } from '../keycloak-logout.constants.js';
import type { ResolvedKeycloakLogoutOptions } from '../options/keycloak-logout-options.interface.js';
import { SessionRegistry } from '../registry/session-registry.js';
import { KeycloakLogoutTelemetry } from '../telemetry/keycloak-logout-telemetry.js';
import type { SessionRecord } from '../registry/session-record.interface.js';
import { realmKeyOfName } from '../realms/realm-issuer.js';
import type { LogoutEvent, LogoutListener } from './logout-event.interface.js';
import { RevocationBus, type RevocationBusHealth } from './revocation-bus.js';
import type { RevocationMemo } from './revocation-memo.js';
import { RevocationStore } from './revocation-store.js';
import type {
  Revocation,
  RevocationReason,
  RevocationSource,
  RevocationSubject,
} from './revocation.interface.js';

export interface RevokeOptions {
  /** Recorded in events and logs. Default `api`. */
  source?: RevocationSource;
  /**
   * Offline and refresh tokens of what is revoked must go too (Keycloak's logout-token event
   * `revoke_offline_access`). Passed on to `onLogout` listeners as `event.revokeOfflineAccess`.
   */
  revokeOfflineAccess?: boolean;
  /**
   * The realm revoked in: a name from the `realms` option, or a configured issuer. Default: the
   * primary realm. Ids are per realm, so the same `sid` or `sub` in another realm is untouched.
   */
  realm?: string;
}

/** The `revokeOfflineAccess` field of a revocation: present only when asked for. */
function offline(options: RevokeOptions): { revokeOfflineAccess?: true } {
  return options.revokeOfflineAccess === true ? { revokeOfflineAccess: true } : {};
}

type Body<T extends Revocation> = T extends Revocation ? Omit<T, 'id' | 'source' | 'revokedAt' | 'expiresAt'> : never;

/**
 * The public API of single logout: revoke by `sid`, by `sub` (a watermark), by adapter session
 * id, or with a client-wide not-before; ask whether a token or session is revoked; subscribe
 * to logouts. Every operation is idempotent. Checks are synchronous reads of local memory.
 */
@Injectable()
export class RevocationService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(RevocationService.name);
  private readonly listeners = new Set<LogoutListener>();

  constructor(
    @Inject(KEYCLOAK_LOGOUT_OPTIONS) private readonly options: ResolvedKeycloakLogoutOptions,
    private readonly store: RevocationStore,
    private readonly registry: SessionRegistry,
    private readonly bus: RevocationBus,
    private readonly telemetry: KeycloakLogoutTelemetry,
  ) {
    bus.subscribe((revocations) => this.applyIncoming(revocations));
  }

  /**
   * Starts the bus once this service has subscribed to it and before the app serves requests,
   * so that a shared bus catches up with the revocations it missed first.
   */
  async onApplicationBootstrap(): Promise<void> {
    await this.bus.start();
    this.telemetry.propagation.markCaughtUp();
  }

  onApplicationShutdown(): Promise<void> {
    return this.bus.close();
  }

  /**
   * Ends a Keycloak user session: every app session and access token carrying its `sid`. (The
   * session guard reads the sid kept in the app session, so no per-session entries are needed.)
   */
  revokeSid(sid: string, options: RevokeOptions = {}): Promise<Revocation[]> {
    return this.measured(options, 'revoke_sid', () => this.publish(options, [{ type: 'sid', sid, ...offline(options) }]));
  }

  /**
   * Ends everything issued to `sub` at or before `issuedBefore` (epoch seconds, default now).
   * Sessions and tokens the user obtains later keep working.
   */
  revokeSubject(sub: string, options: RevokeOptions & { issuedBefore?: number } = {}): Promise<Revocation[]> {
    return this.measured(options, 'revoke_subject', () => this.revokeSubjectNow(sub, options));
  }

  private async revokeSubjectNow(sub: string, options: RevokeOptions & { issuedBefore?: number }): Promise<Revocation[]> {
    const issuedBefore = options.issuedBefore ?? Math.floor(Date.now() / 1000);
    const bodies: Array<Body<Revocation>> = [{ type: 'subject', sub, issuedBefore, ...offline(options) }];
    // Keycloak's lightweight access tokens carry `sid` but no `sub`, so the watermark cannot
    // reach them: the user's sessions the registry knows are revoked by sid as well.
    for (const sid of await this.knownSids(sub, issuedBefore, this.realmKey(options))) bodies.push({ type: 'sid', sid, ...offline(options) });
    return this.publish(options, bodies);
  }

  /** Ends one app session, and the Keycloak session (`sid`) the registry links it to. */
  revokeAdapterSession(adapterSessionId: string, options: RevokeOptions = {}): Promise<Revocation[]> {
    return this.measured(options, 'revoke_adapter_session', () => this.revokeAdapterSessionNow(adapterSessionId, options));
  }

  private async revokeAdapterSessionNow(adapterSessionId: string, options: RevokeOptions): Promise<Revocation[]> {
    const record = await this.registry.findByAdapterSessionId(adapterSessionId);
    const bodies: Array<Body<Revocation>> = [{ type: 'adapter-session', adapterSessionId }];
    // Only a record of the same realm links the app session to a Keycloak session of that realm.
    if (record?.sid !== undefined && record.issuer === this.realmKey(options)) bodies.push({ type: 'sid', sid: record.sid });
    return this.publish(options, bodies);
  }

  /** Keycloak's client not-before: refuses every token and session with `iat < notBefore`. */
  setNotBefore(notBefore: number, options: RevokeOptions = {}): Promise<Revocation[]> {
    return this.measured(options, 'set_not_before', () => this.publish(options, [{ type: 'not-before', notBefore }]));
  }

  /**
   * A call from the app's own code (source `api`) is a logout of its own and measured as one;
   * the logout routes measure theirs where they receive them, so they are not counted twice.
   */
  private measured(options: RevokeOptions, operation: string, run: () => Promise<Revocation[]>): Promise<Revocation[]> {
    if ((options.source ?? 'api') !== 'api') return run();
    return this.telemetry.logouts.handle('api', run, operation);
  }

  /**
   * Why a token (its claims) or a session is refused, or undefined. Local memory only. `memo`:
   * kept by a caller that checks the same subject again, to skip the maps while no revocation
   * was applied since it was last found not revoked (see RevocationMemo). `now`: the clock
   * (epoch ms), for a caller that has read it already in the same call (reading it costs about
   * as much as the memo check).
   */
  revocationReason(subject: RevocationSubject, memo?: RevocationMemo, now: number = Date.now()): RevocationReason | undefined {
    const version = this.store.version;
    // Nothing applied since the subject was last found not revoked: only the clock can have moved.
    if (memo !== undefined && memo.notRevokedAt === version && memo.horizonEnd !== undefined) return beyondHorizon(memo.horizonEnd, now);
    const reason = this.store.check(subject);
    if (reason !== undefined) return reason;
    // Clamped: only a subject without `iat` has no horizon, never one whose sum came out negative.
    const horizonEnd = subject.iat === undefined ? -1 : Math.max(0, subject.iat + this.options.revocationTtl);
    if (memo !== undefined) {
      memo.notRevokedAt = version;
      memo.horizonEnd = horizonEnd;
    }
    return beyondHorizon(horizonEnd, now);
  }

  /** The current client not-before (epoch seconds, 0 when none) of the primary realm. */
  get notBefore(): number {
    return this.store.currentNotBefore;
  }

  /** The current client not-before of a realm (a name from `realms` or an issuer; default the primary realm). */
  notBeforeOf(realm?: string): number {
    return this.store.notBeforeOf(realmKeyOfName(this.options, realm));
  }

  /** Whether this instance's view of revocations may be stale; guards apply the failure policy then. */
  health(): RevocationBusHealth {
    return this.bus.health();
  }

  /**
   * Calls `listener` for each new revocation this instance learns of while it runs: made here, or
   * read from the shared log since start-up (not the past logouts it reads there while starting).
   * Returns an unsubscribe function.
   */
  onLogout(listener: LogoutListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The realm key (undefined: primary) of what the options name; throws for an unknown realm. */
  private realmKey(options: RevokeOptions): string | undefined {
    return realmKeyOfName(this.options, options.realm);
  }

  /** The sids of the user's registered sessions of the realm established at or before `issuedBefore`. */
  private async knownSids(sub: string, issuedBefore: number, issuer: string | undefined): Promise<string[]> {
    try {
      const sessions = (await this.registry.findBySubject(sub)).filter((s) => s.issuer === issuer);
      return [...new Set(sessions.filter((s) => s.issuedAt <= issuedBefore && s.sid !== undefined).map((s) => s.sid as string))];
    } catch (error) {
      // The watermark alone still ends every token that carries `sub`.
      this.logger.warn(`could not look up the sessions of a revoked user: ${error instanceof Error ? error.message : String(error)}`);
      return [];
    }
  }

  private async publish(options: RevokeOptions, bodies: Array<Body<Revocation>>): Promise<Revocation[]> {
    const revokedAt = Date.now();
    const issuer = this.realmKey(options);
    // The primary realm's revocations carry no issuer: the wire format single-realm apps always had.
    const realm = issuer === undefined ? {} : { issuer };
    const revocations = bodies.map((body) => ({
      ...body,
      ...realm,
      id: randomUUID(),
      source: options.source ?? 'api',
      revokedAt,
      expiresAt: revokedAt + this.options.revocationTtl * 1000,
    }));
    await this.telemetry.propagation.publish(revocations, () => this.bus.publish(revocations));
    return revocations;
  }

  private applyIncoming(revocations: Revocation[]): void {
    for (const revocation of revocations) {
      if (!this.store.apply(revocation)) continue;
      const origin = this.telemetry.propagation.applied(revocation);
      // Not the history a starting instance reads from the shared log: the instances running
      // when each of those logouts happened told their listeners then, and this one serves no
      // request (holds no connection) yet. Else a start on a long log would look up the sessions
      // of every past logout in the registry.
      if (origin !== 'catch_up' && this.listeners.size > 0) void this.emit(revocation);
    }
  }

  private async emit(revocation: Revocation): Promise<void> {
    let sessions: SessionRecord[] = [];
    try {
      sessions = await this.affectedSessions(revocation);
    } catch (error) {
      this.logger.warn(`could not look up sessions for a ${revocation.type} revocation: ${String(error)}`);
    }
    const revokeOfflineAccess = 'revokeOfflineAccess' in revocation && revocation.revokeOfflineAccess === true;
    const event: LogoutEvent = { revocation, sessions, revokeOfflineAccess };
    for (const listener of this.listeners) {
      try {
        await listener(event);
      } catch (error) {
        this.logger.error(`onLogout listener failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }

  /** The registered sessions a revocation ends: those of its own realm only. */
  private async affectedSessions(revocation: Revocation): Promise<SessionRecord[]> {
    return (await this.sessionsNamedBy(revocation)).filter((session) => session.issuer === revocation.issuer);
  }

  private async sessionsNamedBy(revocation: Revocation): Promise<SessionRecord[]> {
    switch (revocation.type) {
      case 'sid':
        return this.registry.findBySid(revocation.sid);
      case 'adapter-session': {
        const record = await this.registry.findByAdapterSessionId(revocation.adapterSessionId);
        return record ? [record] : [];
      }
      case 'subject':
        return (await this.registry.findBySubject(revocation.sub)).filter((s) => s.issuedAt <= revocation.issuedBefore);
      case 'not-before':
        return [];
    }
  }
}

/**
 * 'horizon' once the clock is past `horizonEnd` (epoch seconds; -1: no `iat`, no horizon): a
 * token older than `revocationTtl` may have been revoked by a logout already forgotten.
 */
function beyondHorizon(horizonEnd: number, now: number): RevocationReason | undefined {
  return horizonEnd >= 0 && horizonEnd * 1000 < now ? 'horizon' : undefined;
}
