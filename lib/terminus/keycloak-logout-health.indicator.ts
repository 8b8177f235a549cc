import { Injectable } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { KeycloakLogoutHealth } from '../health/keycloak-logout-health.service.js';

/**
 * A @nestjs/terminus health indicator: discovery and JWKS reachability and the revocation
 * view's freshness (stale, shared-log connection, lag) under one key. `down` fails the health
 * check (503); `degraded` keeps it passing where terminus knows the status (12+), else reports `up`
 * with the details saying `degraded`.
 *
 * @example
 * providers: [KeycloakLogoutHealthIndicator], imports: [TerminusModule]
 * health.check([() => indicator.isHealthy()])
 */
@Injectable()
export class KeycloakLogoutHealthIndicator {
  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly health: KeycloakLogoutHealth,
  ) {}

  async isHealthy<const Key extends string = 'keycloak_logout'>(key?: Key): Promise<HealthIndicatorResult<Key>> {
    const { status, ...details } = await this.health.check();
    const session = this.indicators.check((key ?? 'keycloak_logout') as Key);
    if (status === 'down') return session.down(details);
    // Terminus 11 has no degraded status: up, with the details saying degraded.
    if (status === 'degraded' && 'degraded' in session) return session.degraded(details);
    return session.up(details);
  }
}
