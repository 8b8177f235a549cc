import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import { KeycloakLogoutHealthIndicator } from 'nestjs-keycloak-logout/terminus';

/** `GET /health`: 200 while the identity provider and the revocation view are usable, 503 when not. */
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly keycloakLogout: KeycloakLogoutHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check() {
    return this.health.check([() => this.keycloakLogout.isHealthy()]);
  }
}
