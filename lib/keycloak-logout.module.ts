import { Module, type DynamicModule } from '@nestjs/common';
import { KeycloakLogoutConfigError } from './errors/keycloak-logout-config.error.js';
import { ConfigurableModuleClass } from './keycloak-logout.module-definition.js';
import type { KeycloakLogoutModuleAsyncOptions, KeycloakLogoutModuleOptions } from './options/keycloak-logout-options.interface.js';
import { resolveOptions } from './options/resolve-options.js';

/**
 * Single logout for apps that sign in with Keycloak. Global: import it once, in the root module.
 *
 * @example
 * KeycloakLogoutModule.forRoot({ issuer: 'https://kc.example/realms/demo', clientId: 'app' })
 */
@Module({})
export class KeycloakLogoutModule extends ConfigurableModuleClass {
  /** Registers with static options, validated now: a bad option fails the import. */
  static override forRoot(options: KeycloakLogoutModuleOptions): DynamicModule {
    resolveOptions(options);
    return super.forRoot(options);
  }

  /**
   * Registers with options from a factory, class or existing provider, validated when the app
   * bootstraps. `routePrefix` and `routes` are given here, not by the factory, because routes
   * are mounted before any factory runs.
   */
  static override forRootAsync(options: KeycloakLogoutModuleAsyncOptions): DynamicModule {
    const kinds = [options.useFactory, options.useClass, options.useExisting].filter((v) => v !== undefined);
    if (kinds.length !== 1) {
      throw new KeycloakLogoutConfigError('forRootAsync', 'needs exactly one of useFactory, useClass or useExisting');
    }
    return super.forRootAsync(options);
  }
}
