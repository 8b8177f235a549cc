import type { ModuleMetadata } from '@nestjs/common';
import type { TestingModule } from '@nestjs/testing';
import { KeycloakLogoutModule } from '../keycloak-logout.module.js';
import type { KeycloakLogoutModuleOptions } from '../options/keycloak-logout-options.interface.js';
import type { KeycloakTestRealm } from './keycloak-test-realm.js';

/**
 * Module metadata for `Test.createTestingModule()`: the app's own metadata with
 * `KeycloakLogoutModule.forRoot()` pointed at the test realm added to its imports. `options`
 * adds to or replaces the realm's issuer, client id and algorithms.
 */
export function keycloakTestingMetadata(
  realm: KeycloakTestRealm,
  metadata: ModuleMetadata = {},
  options: Partial<KeycloakLogoutModuleOptions> = {},
): ModuleMetadata {
  return { ...metadata, imports: [KeycloakLogoutModule.forRoot(realm.moduleOptions(options)), ...(metadata.imports ?? [])] };
}

/**
 * A compiled TestingModule of `metadata` with the module pointed at the test realm. Needs the
 * optional peer `@nestjs/testing`, loaded only when this is called. To override providers, pass
 * keycloakTestingMetadata() to `Test.createTestingModule()` yourself.
 */
export async function createKeycloakTestingModule(
  realm: KeycloakTestRealm,
  metadata: ModuleMetadata = {},
  options: Partial<KeycloakLogoutModuleOptions> = {},
): Promise<TestingModule> {
  const { Test } = await import('@nestjs/testing');
  return Test.createTestingModule(keycloakTestingMetadata(realm, metadata, options)).compile();
}
