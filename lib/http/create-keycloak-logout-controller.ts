import { Controller, Get, Header, HttpCode, Post, type Type } from '@nestjs/common';
import type { KeycloakLogoutRoutes } from '../options/keycloak-logout-options.interface.js';
import { KeycloakLogoutController } from './keycloak-logout.controller.js';

type Handler = {
  [K in keyof KeycloakLogoutController]: KeycloakLogoutController[K] extends (...args: never[]) => unknown ? K : never;
}[keyof KeycloakLogoutController];

interface RouteDefinition {
  /** The `routes` switch that mounts it. */
  route: keyof KeycloakLogoutRoutes;
  handler: Handler;
  decorators: MethodDecorator[];
}

/** A POST route answered 200 (not Nest's default 201) and never cached. */
const post = (path: string): MethodDecorator[] => [Post(path), HttpCode(200), Header('Cache-Control', 'no-store')];

/** A browser route: the handler writes its own answer (redirect or page) through the HTTP adapter. */
const browserGet = (path: string): MethodDecorator[] => [Get(path)];
const browserPost = (path: string): MethodDecorator[] => [Post(path)];

/** Every route the library can mount, relative to the prefix. */
const ROUTE_DEFINITIONS: RouteDefinition[] = [
  { route: 'backchannelLogout', handler: 'backchannelLogout', decorators: post('backchannel-logout') },
  // Keycloak appends these to the client's Admin URL, so the Admin URL is `https://app/{prefix}`.
  { route: 'keycloakAdmin', handler: 'keycloakLogout', decorators: post('k_logout') },
  { route: 'keycloakAdmin', handler: 'keycloakPushNotBefore', decorators: post('k_push_not_before') },
  { route: 'keycloakAdmin', handler: 'keycloakTestAvailable', decorators: post('k_test_available') },
  { route: 'login', handler: 'login', decorators: browserGet('login') },
  { route: 'login', handler: 'loginCallback', decorators: browserGet('callback') },
  { route: 'logout', handler: 'logoutPage', decorators: browserGet('logout') },
  { route: 'logout', handler: 'logout', decorators: browserPost('logout') },
  { route: 'logout', handler: 'logoutReturn', decorators: browserGet('logout/return') },
  { route: 'frontchannelLogout', handler: 'frontchannelLogout', decorators: browserGet('frontchannel-logout') },
];

/**
 * Derives the controller for one module configuration: the prefix is known only at
 * `forRoot` time, and a disabled route must not be mounted at all. Handler and parameter
 * metadata are inherited from KeycloakLogoutController.
 */
export function createKeycloakLogoutController(prefix: string, routes: Required<KeycloakLogoutRoutes>): Type<KeycloakLogoutController> {
  class KeycloakLogoutRoutesController extends KeycloakLogoutController {}
  const prototype = KeycloakLogoutRoutesController.prototype as unknown as Record<string, unknown>;
  for (const definition of ROUTE_DEFINITIONS) {
    if (!routes[definition.route]) continue;
    const handler = Reflect.get(KeycloakLogoutController.prototype, definition.handler) as (...args: unknown[]) => unknown;
    const descriptor: PropertyDescriptor = {
      value(this: KeycloakLogoutController, ...args: unknown[]) {
        return handler.apply(this, args);
      },
      writable: true,
      configurable: true,
    };
    for (const decorate of definition.decorators) decorate(prototype, definition.handler, descriptor);
    Object.defineProperty(prototype, definition.handler, descriptor);
  }
  Controller(prefix)(KeycloakLogoutRoutesController);
  return KeycloakLogoutRoutesController;
}
