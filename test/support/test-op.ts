/**
 * The tests' OpenID Provider is the sample's embedded, Keycloak-like identity provider: one
 * implementation serves the demo and the end-to-end tests (see sample/idp/keycloak-like-op.ts).
 */
export * from '../../sample/idp/keycloak-like-op.js';
