import { Module, type DynamicModule } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { KeycloakLogoutModule } from 'nestjs-keycloak-logout';
import { KeycloakLogoutHealthIndicator } from 'nestjs-keycloak-logout/terminus';
import { ApiController } from './api.controller.js';
import { HealthController } from './health.controller.js';
import { keycloakLogoutOptions } from './keycloak-logout-options.js';
import { MetricsController } from './metrics.controller.js';
import { PageController } from './page.controller.js';
import { SAMPLE_CONFIG, type SampleConfig } from './sample-config.js';
import { SampleConfigModule } from './sample-config.module.js';
import { SampleMetrics, SampleMetricsModule } from './sample-metrics.js';

/** The sample app: the library registered the way the README shows, a page and an API, `/metrics` and `/health`. */
@Module({})
export class SampleAppModule {
  static forConfig(config: SampleConfig): DynamicModule {
    const configModule = SampleConfigModule.register(config);
    const metricsModule = SampleMetricsModule.register(config.appName);
    return {
      module: SampleAppModule,
      imports: [
        configModule,
        metricsModule,
        TerminusModule,
        KeycloakLogoutModule.forRootAsync({
          imports: [configModule, metricsModule],
          inject: [SAMPLE_CONFIG, SampleMetrics],
          useFactory: (sampleConfig: SampleConfig, metrics: SampleMetrics) => keycloakLogoutOptions(sampleConfig, metrics.meterProvider),
          routes: { login: true, logout: true },
        }),
      ],
      controllers: [PageController, ApiController, MetricsController, HealthController],
      providers: [KeycloakLogoutHealthIndicator],
    };
  }
}
