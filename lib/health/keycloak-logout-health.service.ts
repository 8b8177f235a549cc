import { Inject, Injectable, Optional } from '@nestjs/common';
import { reasonOf } from '../http/error-answers.js';
import { KEYCLOAK_LOGOUT_OPTIONS } from '../keycloak-logout.constants.js';
import { OidcDiscoveryService } from '../oidc/oidc-discovery.service.js';
import type { ResolvedKeycloakLogoutOptions } from '../options/keycloak-logout-options.interface.js';
import { RealmDirectory } from '../realms/realm-directory.service.js';
import { RevocationService } from '../revocation/revocation.service.js';
import { RevocationBus } from '../revocation/revocation-bus.js';
import { isSharedLogConnected, sharedLogStatusOf } from '../telemetry/shared-log-status.js';
import { SigningKeysService } from '../tokens/signing-keys.service.js';
import type { KeycloakLogoutHealthReport, KeycloakLogoutHealthStatus } from './keycloak-logout-health-report.interface.js';

const RANK: Record<KeycloakLogoutHealthStatus, number> = { up: 0, degraded: 1, down: 2 };

function worst(...statuses: KeycloakLogoutHealthStatus[]): KeycloakLogoutHealthStatus {
  return statuses.reduce((a, b) => (RANK[b] > RANK[a] ? b : a), 'up');
}

/**
 * The module's health as plain data, for any health endpoint (`nestjs-keycloak-logout/terminus`
 * wraps it for @nestjs/terminus): discovery and JWKS reachability, and the revocation view's
 * freshness. Cheap enough for frequent probes: discovery is cached once loaded, the JWKS is
 * requested only while no keys were ever fetched (and not during an outage pause), and the view
 * is read from memory. An instance whose shared log was never read to its end is `down` (not
 * ready) under either failure policy: with `app.listen()` Nest only listens once the bus has
 * caught up or `startTimeout` has passed (RevocationService.onApplicationBootstrap awaits
 * `bus.start()`), so this covers the instance that gave up waiting and is still catching up.
 */
@Injectable()
export class KeycloakLogoutHealth {
  constructor(
    @Inject(KEYCLOAK_LOGOUT_OPTIONS) private readonly options: ResolvedKeycloakLogoutOptions,
    private readonly discovery: OidcDiscoveryService,
    private readonly signingKeys: SigningKeysService,
    private readonly revocations: RevocationService,
    private readonly bus: RevocationBus,
    @Optional() private readonly realms?: RealmDirectory,
  ) {}

  async check(): Promise<KeycloakLogoutHealthReport> {
    const [discovery, jwks, realms] = await Promise.all([this.checkDiscovery(), this.checkJwks(this.signingKeys), this.checkFurtherRealms()]);
    const revocationView = this.checkRevocationView();
    // A further realm's outage refuses that realm's tokens only: the app is degraded, not down.
    const realmStatuses = Object.values(realms ?? {}).map((realm): KeycloakLogoutHealthStatus => (realm.status === 'down' ? 'degraded' : realm.status));
    const status = worst(discovery.status, jwks.status, revocationView.status, ...realmStatuses);
    return { status, discovery, jwks, revocationView, ...(realms === undefined ? {} : { realms }) };
  }

  /** The signing keys of each realm of the `realms` option, by name; undefined when there is none. */
  private async checkFurtherRealms(): Promise<KeycloakLogoutHealthReport['realms']> {
    const further = this.realms?.further ?? [];
    if (further.length === 0) return undefined;
    return Object.fromEntries(await Promise.all(further.map(async (realm) => [realm.name, await this.checkJwks(realm.signingKeys)] as const)));
  }

  private async checkDiscovery(): Promise<KeycloakLogoutHealthReport['discovery']> {
    try {
      await this.discovery.metadata();
      return { status: 'up' };
    } catch (error) {
      // With a configured jwksUri the guards and the logout routes work without discovery; login,
      // RP-initiated logout and KeycloakSessionTerminator still need it.
      return { status: this.options.jwksUri !== undefined ? 'degraded' : 'down', error: reasonOf(error) };
    }
  }

  private async checkJwks(signingKeys: SigningKeysService): Promise<KeycloakLogoutHealthReport['jwks']> {
    try {
      const { keys, outage } = await signingKeys.availability();
      return { status: keys === 0 ? 'down' : outage ? 'degraded' : 'up', keys, outage };
    } catch (error) {
      return { status: 'down', keys: 0, outage: true, error: reasonOf(error) };
    }
  }

  private checkRevocationView(): KeycloakLogoutHealthReport['revocationView'] {
    const { stale, detail } = this.revocations.health();
    const log = sharedLogStatusOf(this.bus);
    const sharedLog = log === undefined
      ? undefined
      : { state: log.state, connected: isSharedLogConnected(log), lagMs: log.lagMs, unsharedRevocations: log.unsharedRevocations };
    // Stale refuses guarded requests under the default policy; under 'allow' they are served from the last view.
    let status: KeycloakLogoutHealthStatus = stale ? (this.options.failurePolicy === 'refuse' ? 'down' : 'degraded') : 'up';
    if (sharedLog !== undefined && !sharedLog.connected) status = worst(status, 'degraded');
    // Never read to its end (catching up after a `startTimeout`, or Redis away since the start):
    // there is no last view to serve from, so not ready whatever the policy.
    if (sharedLog !== undefined && sharedLog.lagMs === null) status = 'down';
    return { status, stale, detail, ...(sharedLog !== undefined ? { sharedLog } : {}) };
  }
}
