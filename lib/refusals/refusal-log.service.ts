import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { KEYCLOAK_LOGOUT_OPTIONS } from '../keycloak-logout.constants.js';
import type { ContextKind } from '../contexts/context-kind.js';
import type { ResolvedKeycloakLogoutOptions } from '../options/keycloak-logout-options.interface.js';
import { KeycloakLogoutTelemetry } from '../telemetry/keycloak-logout-telemetry.js';

/** Where a refusal happened: a logout route, or a guard. */
export type RefusalChannel =
  | 'backchannel-logout'
  | 'keycloak-admin'
  | 'frontchannel-logout'
  | 'rp-logout'
  | 'login'
  | 'bearer-guard'
  | 'session-guard';

export interface Refusal {
  channel: RefusalChannel;
  /** Stable reason code, e.g. `token_invalid`, `revoked_sid`, `unknown_sid`. */
  reason: string;
  /** HTTP status answered (200 for a logout answered without effect). */
  status: number;
  /** Why, in words. Never a token or any part of one. */
  detail: string;
  /** Expected refusals (no credentials at all) are logged at debug level only. */
  quiet?: boolean;
  /**
   * The execution context refused in (a label beside the reason, not part of it): `http`,
   * `graphql`, `ws` or `rpc`. The logout routes are always `http`.
   */
  context?: ContextKind;
  /** The `name` of a realm of the `realms` option whose route refused; absent for the primary realm. */
  realm?: string;
}

/** Told of every refusal as it is recorded (all of them: not rate-limited like the log lines). */
export type RefusalListener = (refusal: Readonly<Refusal>) => void;

/** One warning per distinct refusal per window; the next one says how many were held back. */
const WINDOW_MS = 60_000;
/** Distinct refusals remembered for rate limiting; beyond it the oldest are forgotten. */
const MAX_KEYS = 500;

const CHANNEL_NAMES: Record<RefusalChannel, string> = {
  'backchannel-logout': 'back-channel logout',
  'keycloak-admin': 'Keycloak Admin URL call',
  'frontchannel-logout': 'front-channel logout',
  'rp-logout': 'RP-initiated logout',
  login: 'login',
  'bearer-guard': 'bearer token',
  'session-guard': 'session',
};

/**
 * Makes refusals visible. Keycloak logs a refused back-channel or Admin URL call only at debug
 * level and marks the client logged out anyway, so a misconfigured app would keep sessions
 * alive with nobody told: every refusal is logged here at warn level with its reason code, the
 * issuer and the client (rate-limited per distinct refusal), and counted by channel and reason.
 */
@Injectable()
export class RefusalLog {
  private readonly logger = new Logger('KeycloakLogoutRefusals');
  private readonly totals = new Map<string, number>();
  private readonly totalsByContext = new Map<string, Map<ContextKind, number>>();
  private readonly recent = new Map<string, { since: number; held: number }>();
  private readonly listeners = new Set<RefusalListener>();

  constructor(
    @Inject(KEYCLOAK_LOGOUT_OPTIONS) private readonly options: ResolvedKeycloakLogoutOptions,
    @Optional() private readonly telemetry?: KeycloakLogoutTelemetry,
  ) {}

  record(refusal: Refusal): void {
    const count = `${refusal.channel}:${refusal.reason}`;
    this.totals.set(count, (this.totals.get(count) ?? 0) + 1);
    // The one place every refusal passes: counted here, and nowhere else.
    this.telemetry?.refusals.count(refusal);
    const context = refusal.context ?? 'http';
    const perContext = this.totalsByContext.get(count) ?? new Map<ContextKind, number>();
    perContext.set(context, (perContext.get(context) ?? 0) + 1);
    this.totalsByContext.set(count, perContext);
    this.tell(refusal);
    // HTTP, where every logout route answers, keeps the line it always had.
    const where = context === 'http' ? '' : ` (${context} context)`;
    const realm = this.realmOf(refusal);
    const line = `refused ${CHANNEL_NAMES[refusal.channel]}${where}: ${refusal.reason} (${refusal.detail}), answered ${refusal.status}; issuer ${realm.issuer}, client ${realm.clientId}`;
    if (refusal.quiet === true) {
      this.logger.debug(line);
      return;
    }
    const held = this.heldBack(`${count}:${context}:${refusal.realm ?? ''}:${refusal.detail}`);
    if (held === undefined) return;
    this.logger.warn(held > 0 ? `${line} [${held} more like it in the last minute]` : line);
  }

  /**
   * Calls `listener` with each refusal from now on (e.g. for an app's own audit trail or a
   * live view). Returns an unsubscribe function. A listener that throws is logged and skipped;
   * the refusal itself is not affected.
   */
  onRefusal(listener: RefusalListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private tell(refusal: Refusal): void {
    for (const listener of this.listeners) {
      try {
        listener(refusal);
      } catch (error) {
        this.logger.error(`onRefusal listener failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }

  /** Refusals counted since start, keyed `channel:reason`. */
  /** Whose issuer and client the line names: the realm of the refusing route, else the primary realm. */
  private realmOf(refusal: Refusal): { issuer: string; clientId: string } {
    if (refusal.realm === undefined) return this.options;
    return this.options.realms.find((realm) => realm.name === refusal.realm) ?? this.options;
  }

  counts(): Record<string, number> {
    return Object.fromEntries(this.totals);
  }

  /** The same counts split by execution context: `{ 'bearer-guard:revoked_sid': { http: 2, graphql: 1 } }`. */
  countsByContext(): Record<string, Partial<Record<ContextKind, number>>> {
    return Object.fromEntries([...this.totalsByContext].map(([key, perContext]) => [key, Object.fromEntries(perContext)]));
  }

  /** How many were held back since this refusal was last logged, or undefined to hold this one back. */
  private heldBack(key: string, now = Date.now()): number | undefined {
    const entry = this.recent.get(key);
    if (entry !== undefined && now - entry.since < WINDOW_MS) {
      entry.held += 1;
      return undefined;
    }
    const held = entry?.held ?? 0;
    this.recent.delete(key);
    if (this.recent.size >= MAX_KEYS) {
      const oldest = this.recent.keys().next();
      if (!oldest.done) this.recent.delete(oldest.value);
    }
    this.recent.set(key, { since: now, held: 0 });
    return held;
  }
}
