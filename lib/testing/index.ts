/**
 * `nestjs-keycloak-logout/testing`: a local Keycloak realm for an app's own tests. It serves
 * discovery and JWKS on a loopback port, mints Keycloak-shaped access, ID and logout tokens and
 * admin actions, and sends back-channel logouts and `k_logout` / `k_push_not_before` to the app
 * under test. Needs only `jose` and Node; `createKeycloakTestingModule()` also needs the optional
 * peer `@nestjs/testing`. The main entry point never imports this one.
 */
export { KeycloakTestRealm, type KeycloakTestRealmOptions, type ForClient, type SentLogout } from './keycloak-test-realm.js';
export { createRealmKey, type RealmKey } from './realm-key.js';
export type { KeycloakTokenSigner } from './token-signer.js';
export {
  keycloakAccessToken,
  keycloakIdToken,
  keycloakLogoutToken,
  TEST_USER_ID,
  type AccessTokenInput,
  type IdTokenInput,
  type LogoutTokenInput,
  type SigningInput,
} from './keycloak-tokens.js';
export {
  keycloakLogoutAction,
  keycloakPushNotBeforeAction,
  keycloakTestAvailabilityAction,
  type AdminActionInput,
  type LogoutActionInput,
  type PushNotBeforeActionInput,
} from './keycloak-admin-actions.js';
export { postAdminAction, postBackchannelLogout, type AppAnswer, type AppRoutes } from './app-calls.js';
export { createKeycloakTestingModule, keycloakTestingMetadata } from './testing-module.js';
