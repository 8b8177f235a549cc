import { ConfigurableModuleBuilder, type DynamicModule, type Provider, type Type } from '@nestjs/common';
import { RouterModule } from '@nestjs/core';
import { BackchannelLogoutController } from './backchannel-logout/backchannel-logout.controller.js';
import { FrontchannelLogoutController } from './browser-logout/frontchannel-logout.controller.js';
import { LogoutController } from './browser-logout/logout.controller.js';
import { KeycloakLogoutConfigError } from './errors/keycloak-logout-config.error.js';
import { KeycloakAdminController } from './keycloak-admin/keycloak-admin.controller.js';
import { KEYCLOAK_LOGOUT_OPTIONS } from './keycloak-logout.constants.js';
import { KEYCLOAK_LOGOUT_EXPORTS, KEYCLOAK_LOGOUT_PROVIDERS } from './keycloak-logout.providers.js';
import { LoginController } from './login/login.controller.js';
import type {
  KeycloakLogoutAsyncResult,
  KeycloakLogoutRoutes,
  KeycloakLogoutRoutingOptions,
  ResolvedKeycloakLogoutOptions,
} from './options/keycloak-logout-options.interface.js';
import { resolveOptions, resolveRouting } from './options/resolve-options.js';

/** The routes, validated when the module is defined (routes are mounted before any factory runs). */
const ROUTING = Symbol('KEYCLOAK_LOGOUT:ROUTING');

/** Each `routes` switch mounts one controller; a disabled route is not mounted at all. */
const CONTROLLERS: Record<keyof KeycloakLogoutRoutes, Type> = {
  backchannelLogout: BackchannelLogoutController,
  keycloakAdmin: KeycloakAdminController,
  login: LoginController,
  logout: LogoutController,
  frontchannelLogout: FrontchannelLogoutController,
};

/** The validated options, from what `forRoot` got or what the `forRootAsync` factory returned. */
function resolvedOptionsProvider(rawToken: string | symbol): Provider {
  return {
    provide: KEYCLOAK_LOGOUT_OPTIONS,
    inject: [rawToken, ROUTING],
    useFactory: (raw: KeycloakLogoutAsyncResult, routing: Pick<ResolvedKeycloakLogoutOptions, 'routePrefix' | 'routes'>) => {
      for (const key of ['routePrefix', 'routes'] as const) {
        if (typeof raw === 'object' && raw !== null && key in raw) {
          throw new KeycloakLogoutConfigError(key, 'must be passed to forRootAsync() itself, not returned by its factory');
        }
      }
      return resolveOptions({ ...raw, ...routing });
    },
  };
}

/**
 * Global, with the enabled controllers under `routePrefix` (through RouterModule, so the
 * controllers keep literal route decorators).
 */
function defineModule(definition: DynamicModule, extras: KeycloakLogoutRoutingOptions): DynamicModule {
  const routing = resolveRouting({ routePrefix: extras.routePrefix, routes: extras.routes });
  const controllers = (Object.keys(CONTROLLERS) as Array<keyof KeycloakLogoutRoutes>)
    .filter((route) => routing.routes[route])
    .map((route) => CONTROLLERS[route]);
  const router = controllers.length > 0 ? [RouterModule.register([{ path: routing.routePrefix, module: definition.module }])] : [];
  return {
    ...definition,
    global: true,
    imports: [...(definition.imports ?? []), ...router],
    controllers,
    providers: [...(definition.providers ?? []), { provide: ROUTING, useValue: routing }, resolvedOptionsProvider(MODULE_OPTIONS_TOKEN), ...KEYCLOAK_LOGOUT_PROVIDERS],
    exports: KEYCLOAK_LOGOUT_EXPORTS,
  };
}

export const { ConfigurableModuleClass, MODULE_OPTIONS_TOKEN } = new ConfigurableModuleBuilder<KeycloakLogoutAsyncResult>({
  optionsInjectionToken: Symbol('KEYCLOAK_LOGOUT:RAW_OPTIONS'),
})
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createKeycloakLogoutOptions')
  // Listing both keys makes forRoot() keep them out of the options it provides (they are the extras).
  .setExtras<KeycloakLogoutRoutingOptions>({ routePrefix: undefined, routes: undefined }, defineModule)
  .build();
