import { Module, type DynamicModule, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { KeycloakLogoutModule } from 'nestjs-keycloak-logout';
import { KeycloakLogoutHealthIndicator } from 'nestjs-keycloak-logout/terminus';
import { ApiController } from './api.controller.js';
import { DemoEventsModule } from './demo-events/demo-events.module.js';
import { DemoTimeline } from './demo-events/demo-timeline.js';
import { LoginTimelineMiddleware } from './demo-events/login-timeline.middleware.js';
import { LogoutExplainer } from './demo-events/logout-explainer.js';
import { PageStreams } from './demo-events/page-streams.js';
import { TimelineController } from './demo-events/timeline.controller.js';
import { HealthController } from './health.controller.js';
import { keycloakLogoutOptions } from './keycloak-logout-options.js';
import { MetricsController } from './metrics.controller.js';
import { PageController } from './page.controller.js';
import { SAMPLE_CONFIG, type SampleConfig } from './sample-config.js';
import { SampleConfigModule } from './sample-config.module.js';
import { SampleMetrics, SampleMetricsModule } from './sample-metrics.js';

/**
 * The sample app: the library registered the way the README shows, a page and an API, `/metrics`
 * and `/health`, and the demo's event timeline (`/timeline`).
 */
@Module({})
export class SampleAppModule implements NestModule {
  static forConfig(config: SampleConfig): DynamicModule {
    const configModule = SampleConfigModule.register(config);
    const metricsModule = SampleMetricsModule.register(config.appName);
    const demoEventsModule = DemoEventsModule.register(config);
    return {
      module: SampleAppModule,
      imports: [
        configModule,
        metricsModule,
        demoEventsModule,
        TerminusModule,
        KeycloakLogoutModule.forRootAsync({
          imports: [configModule, metricsModule, demoEventsModule],
          inject: [SAMPLE_CONFIG, SampleMetrics, LogoutExplainer, PageStreams],
          useFactory: (sampleConfig: SampleConfig, metrics: SampleMetrics, explainer: LogoutExplainer, streams: PageStreams) =>
            keycloakLogoutOptions(sampleConfig, metrics.meterProvider, { explainer, streams }),
          routes: { login: true, logout: true },
        }),
      ],
      controllers: [PageController, ApiController, MetricsController, HealthController, TimelineController],
      providers: [KeycloakLogoutHealthIndicator, DemoTimeline],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    // The library's login callback (routePrefix `auth`): a login for the timeline.
    consumer.apply(LoginTimelineMiddleware).forRoutes('auth/callback');
  }
}
