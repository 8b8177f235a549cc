import { Module, type DynamicModule } from '@nestjs/common';
import { KeycloakLogoutModule } from 'nestjs-keycloak-logout';
import { ApiController } from './api.controller.js';
import { keycloakLogoutOptions } from './keycloak-logout-options.js';
import { PageController } from './page.controller.js';
import { SAMPLE_CONFIG, type SampleConfig } from './sample-config.js';
import { SampleConfigModule } from './sample-config.module.js';

/** The sample app: the library registered the way the README shows, a page and an API. */
@Module({})
export class SampleAppModule {
  static forConfig(config: SampleConfig): DynamicModule {
    const configModule = SampleConfigModule.register(config);
    return {
      module: SampleAppModule,
      imports: [
        configModule,
        KeycloakLogoutModule.forRootAsync({
          imports: [configModule],
          inject: [SAMPLE_CONFIG],
          useFactory: (sampleConfig: SampleConfig) => keycloakLogoutOptions(sampleConfig),
          routes: { login: true, logout: true },
        }),
      ],
      controllers: [PageController, ApiController],
    };
  }
}
