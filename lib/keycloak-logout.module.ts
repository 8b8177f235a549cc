import { Module, type DynamicModule, type Provider } from '@nestjs/common';
import { KeycloakSessionTerminator } from './api-logout/keycloak-session-terminator.service.js';
import { BrowserLogoutService } from './browser-logout/browser-logout.service.js';
import { KeycloakLogoutConfigError } from './errors/keycloak-logout-config.error.js';
import { IdTokenVerifierService } from './tokens/id-token-verifier.service.js';
import { AccessTokenVerifierService } from './tokens/access-token-verifier.service.js';
import { KeycloakBearerGuard } from './guards/keycloak-bearer.guard.js';
import { KeycloakSessionGuard } from './guards/keycloak-session.guard.js';
import { createKeycloakLogoutController } from './http/create-keycloak-logout-controller.js';
import { AdminActionVerifierService } from './tokens/admin-action-verifier.service.js';
import { KeycloakAdminService } from './keycloak-admin/keycloak-admin.service.js';
import { KEYCLOAK_LOGOUT_OPTIONS } from './keycloak-logout.constants.js';
import { LoginService } from './login/login.service.js';
import { revocationBusProvider, sessionRegistryProvider } from './keycloak-logout.providers.js';
import { BackchannelLogoutService } from './backchannel-logout/backchannel-logout.service.js';
import { LogoutTokenVerifierService } from './tokens/logout-token-verifier.service.js';
import { JwsVerifierService } from './tokens/jws-verifier.service.js';
import { OidcDiscoveryService } from './oidc/oidc-discovery.service.js';
import { SigningKeysService } from './tokens/signing-keys.service.js';
import type {
  KeycloakLogoutAsyncResult,
  KeycloakLogoutModuleAsyncOptions,
  KeycloakLogoutModuleOptions,
  KeycloakLogoutOptionsFactory,
  ResolvedKeycloakLogoutOptions,
} from './options/keycloak-logout-options.interface.js';
import { resolveOptions, resolveRouting } from './options/resolve-options.js';
import { SessionRegistry } from './registry/session-registry.js';
import { RevocationBus } from './revocation/revocation-bus.js';
import { RevocationLifecycle } from './revocation/revocation-lifecycle.js';
import { RevocationStore } from './revocation/revocation-store.js';
import { RevocationService } from './revocation/revocation.service.js';
import { RefusalLog } from './refusals/refusal-log.service.js';
import { RevokedSessionDestroyer } from './session/revoked-session-destroyer.service.js';
import { SessionStoreAccess } from './session/session-store-access.service.js';

/** Token of the unvalidated object a `forRootAsync` factory returned. */
const RAW_ASYNC_OPTIONS = Symbol('KEYCLOAK_LOGOUT:RAW_ASYNC_OPTIONS');

const SERVICES: Provider[] = [
  OidcDiscoveryService,
  SigningKeysService,
  JwsVerifierService,
  LogoutTokenVerifierService,
  BackchannelLogoutService,
  AdminActionVerifierService,
  KeycloakAdminService,
  AccessTokenVerifierService,
  IdTokenVerifierService,
  RevocationStore,
  RevocationService,
  RevocationLifecycle,
  KeycloakBearerGuard,
  KeycloakSessionGuard,
  LoginService,
  BrowserLogoutService,
  KeycloakSessionTerminator,
  SessionStoreAccess,
  RevokedSessionDestroyer,
  RefusalLog,
  sessionRegistryProvider,
  revocationBusProvider,
];

const EXPORTS = [
  KEYCLOAK_LOGOUT_OPTIONS,
  RevocationService,
  SessionRegistry,
  RevocationBus,
  OidcDiscoveryService,
  AccessTokenVerifierService,
  KeycloakBearerGuard,
  KeycloakSessionGuard,
  KeycloakSessionTerminator,
  RefusalLog,
  SessionStoreAccess,
];

/**
 * Single logout for apps that sign in with Keycloak. Global: import it once, in the root module.
 *
 * @example
 * KeycloakLogoutModule.forRoot({ issuer: 'https://kc.example/realms/demo', clientId: 'app' })
 */
@Module({})
export class KeycloakLogoutModule {
  /** Registers with static options, validated now: a bad option fails the import. */
  static forRoot(options: KeycloakLogoutModuleOptions): DynamicModule {
    const resolved = resolveOptions(options);
    return this.assemble(resolved, [{ provide: KEYCLOAK_LOGOUT_OPTIONS, useValue: resolved }]);
  }

  /**
   * Registers with options from a factory, class or existing provider, validated when the
   * app bootstraps. `routePrefix` and `routes` are given here, not by the factory, because
   * routes are mounted before any factory runs.
   */
  static forRootAsync(options: KeycloakLogoutModuleAsyncOptions): DynamicModule {
    const routing = resolveRouting({ routePrefix: options.routePrefix, routes: options.routes });
    const module = this.assemble(routing, [
      ...this.asyncOptionsProviders(options),
      {
        provide: KEYCLOAK_LOGOUT_OPTIONS,
        inject: [RAW_ASYNC_OPTIONS],
        useFactory: (raw: KeycloakLogoutAsyncResult) => {
          for (const key of ['routePrefix', 'routes'] as const) {
            if (typeof raw === 'object' && raw !== null && key in raw) {
              throw new KeycloakLogoutConfigError(key, 'must be passed to forRootAsync() itself, not returned by its factory');
            }
          }
          return resolveOptions({ ...raw, ...routing });
        },
      },
    ]);
    return { ...module, imports: options.imports ?? [] };
  }

  private static asyncOptionsProviders(options: KeycloakLogoutModuleAsyncOptions): Provider[] {
    const kinds = [options.useFactory, options.useClass, options.useExisting].filter((v) => v !== undefined);
    if (kinds.length !== 1) {
      throw new KeycloakLogoutConfigError('forRootAsync', 'needs exactly one of useFactory, useClass or useExisting');
    }
    if (options.useFactory) {
      return [{ provide: RAW_ASYNC_OPTIONS, useFactory: options.useFactory, inject: options.inject ?? [] }];
    }
    const factoryClass = (options.useClass ?? options.useExisting)!;
    const providers: Provider[] = [
      {
        provide: RAW_ASYNC_OPTIONS,
        inject: [factoryClass],
        useFactory: (factory: KeycloakLogoutOptionsFactory) => factory.createKeycloakLogoutOptions(),
      },
    ];
    if (options.useClass) providers.push({ provide: options.useClass, useClass: options.useClass });
    return providers;
  }

  private static assemble(
    routing: Pick<ResolvedKeycloakLogoutOptions, 'routePrefix' | 'routes'>,
    optionProviders: Provider[],
  ): DynamicModule {
    const anyRoute = Object.values(routing.routes).some(Boolean);
    return {
      module: KeycloakLogoutModule,
      global: true,
      controllers: anyRoute ? [createKeycloakLogoutController(routing.routePrefix, routing.routes)] : [],
      providers: [...optionProviders, ...SERVICES],
      exports: EXPORTS,
    };
  }
}
