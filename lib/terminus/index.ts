/**
 * `nestjs-keycloak-logout/terminus`: a @nestjs/terminus health indicator for the module. Needs the
 * optional peer dependency `@nestjs/terminus`; the main entry point never imports this one, so
 * apps without terminus never load it.
 */
export { KeycloakLogoutHealthIndicator } from './keycloak-logout-health.indicator.js';
