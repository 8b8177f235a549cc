import { describe, expect, it } from 'vitest';
import { KeycloakLogoutConfigError } from '../errors/keycloak-logout-config.error.js';
import { MemorySessionRegistry } from '../registry/memory-session-registry.js';
import { LocalRevocationBus } from '../revocation/revocation-bus.js';
import { resolveOptions, resolveRouting } from './resolve-options.js';
import type { KeycloakLogoutModuleOptions } from './keycloak-logout-options.interface.js';

const valid: KeycloakLogoutModuleOptions = { issuer: 'https://kc.example/realms/demo', clientId: 'app' };

function configError(options: unknown): KeycloakLogoutConfigError {
  try {
    resolveOptions(options as KeycloakLogoutModuleOptions);
  } catch (error) {
    expect(error).toBeInstanceOf(KeycloakLogoutConfigError);
    return error as KeycloakLogoutConfigError;
  }
  throw new Error('expected a KeycloakLogoutConfigError');
}

describe('resolveOptions', () => {
  it('fills in every default', () => {
    const resolved = resolveOptions(valid);
    expect(resolved).toMatchObject({
      issuer: valid.issuer,
      clientId: 'app',
      algorithms: ['RS256'],
      clockTolerance: 5,
      jwks: { cooldown: 30_000, cacheMaxAge: 600_000, timeout: 5_000 },
      logoutToken: { types: ['logout+jwt', 'jwt'], allowUntyped: true, requireExp: true, maxAge: 300 },
      bearer: { audience: undefined, cacheSize: 10_000, cacheMaxAge: 600_000 },
      sessionProperty: 'keycloak',
      revocationTtl: 36_000,
      sessionTtl: 36_000,
      maxSessionsPerUser: 1_000,
      failurePolicy: 'refuse',
      maxBodyBytes: 16_384,
      routePrefix: 'auth',
    });
    expect(resolved.routes.backchannelLogout).toBe(true);
    expect(resolved.routes.keycloakAdmin).toBe(true);
  });

  it('normalizes typ values and the route prefix', () => {
    const resolved = resolveOptions({ ...valid, logoutToken: { types: ['application/logout+JWT'] }, routePrefix: '/oidc/' });
    expect(resolved.logoutToken.types).toEqual(['logout+jwt']);
    expect(resolved.routePrefix).toBe('oidc');
  });

  it('accepts maxSessionsPerUser at both ends of its range', () => {
    expect(resolveOptions({ ...valid, maxSessionsPerUser: 1 }).maxSessionsPerUser).toBe(1);
    expect(resolveOptions({ ...valid, maxSessionsPerUser: 100_000 }).maxSessionsPerUser).toBe(100_000);
  });

  it('accepts a strict audience as a string or a list', () => {
    expect(resolveOptions({ ...valid, bearer: { audience: 'api' } }).bearer.audience).toEqual(['api']);
    expect(resolveOptions({ ...valid, bearer: { audience: ['a', 'b'] } }).bearer.audience).toEqual(['a', 'b']);
  });

  const bad: Array<[string, unknown, string, RegExp]> = [
    ['options not an object', null, '(options)', /must be an object/],
    ['missing issuer', { clientId: 'app' }, 'issuer', /required/],
    ['issuer not a URL', { ...valid, issuer: 'kc.example/realms/demo' }, 'issuer', /absolute URL/],
    ['issuer with a query', { ...valid, issuer: 'https://kc.example/realms/demo?x=1' }, 'issuer', /query or fragment/],
    ['issuer not http(s)', { ...valid, issuer: 'ftp://kc.example/realms/demo' }, 'issuer', /http\(s\)/],
    ['missing clientId', { issuer: valid.issuer }, 'clientId', /required/],
    ['empty clientId', { ...valid, clientId: '  ' }, 'clientId', /required/],
    ['unknown option (typo)', { ...valid, clientID: 'app' }, 'clientID', /not a known option/],
    ['algorithms empty', { ...valid, algorithms: [] }, 'algorithms', /non-empty/],
    ['algorithm none', { ...valid, algorithms: ['none'] }, 'algorithms', /only asymmetric/],
    ['algorithm HS256', { ...valid, algorithms: ['RS256', 'HS256'] }, 'algorithms', /only asymmetric/],
    ['clockTolerance negative', { ...valid, clockTolerance: -1 }, 'clockTolerance', /between 0 and 300/],
    ['clockTolerance a string', { ...valid, clockTolerance: '5s' }, 'clockTolerance', /integer/],
    ['jwksUri not a URL', { ...valid, jwksUri: 'certs' }, 'jwksUri', /absolute URL/],
    ['jwks not an object', { ...valid, jwks: 5 }, 'jwks', /must be an object/],
    ['unknown jwks option', { ...valid, jwks: { ttl: 5 } }, 'jwks.ttl', /not a known option/],
    ['jwks.cooldown fractional', { ...valid, jwks: { cooldown: 1.5 } }, 'jwks.cooldown', /integer/],
    ['logoutToken.types empty string', { ...valid, logoutToken: { types: [''] } }, 'logoutToken.types', /non-empty strings/],
    ['logoutToken.requireExp not boolean', { ...valid, logoutToken: { requireExp: 'no' } }, 'logoutToken.requireExp', /true or false/],
    ['logoutToken.maxAge too small', { ...valid, logoutToken: { maxAge: 1 } }, 'logoutToken.maxAge', /between 10/],
    ['bearer.audience empty', { ...valid, bearer: { audience: [] } }, 'bearer.audience', /non-empty/],
    ['bearer.cacheMaxAge under a second', { ...valid, bearer: { cacheMaxAge: 500 } }, 'bearer.cacheMaxAge', /between 1000/],
    ['failurePolicy unknown', { ...valid, failurePolicy: 'maybe' }, 'failurePolicy', /"refuse" or "allow"/],
    ['revocationTtl too small', { ...valid, revocationTtl: 1 }, 'revocationTtl', /between 60/],
    ['maxBodyBytes too big', { ...valid, maxBodyBytes: 10_000_000 }, 'maxBodyBytes', /between 1024/],
    ['maxSessionsPerUser zero', { ...valid, maxSessionsPerUser: 0 }, 'maxSessionsPerUser', /integer between 1 and 100000, got 0/],
    ['maxSessionsPerUser negative', { ...valid, maxSessionsPerUser: -5 }, 'maxSessionsPerUser', /between 1 and 100000/],
    ['maxSessionsPerUser above 100000', { ...valid, maxSessionsPerUser: 100_001 }, 'maxSessionsPerUser', /between 1 and 100000/],
    ['maxSessionsPerUser fractional', { ...valid, maxSessionsPerUser: 2.5 }, 'maxSessionsPerUser', /integer/],
    ['maxSessionsPerUser a string', { ...valid, maxSessionsPerUser: '1000' }, 'maxSessionsPerUser', /integer/],
    ['maxSessionsPerUser not finite', { ...valid, maxSessionsPerUser: Infinity }, 'maxSessionsPerUser', /integer/],
    ['maxSessionsPerUser with a given backend', { ...valid, backend: { sessionRegistry: new MemorySessionRegistry(), revocationBus: new LocalRevocationBus() }, maxSessionsPerUser: 10 }, 'maxSessionsPerUser', /give it to the backend/],
    ['backend not an object', { ...valid, backend: 'redis://x' }, 'backend', /LogoutBackend/],
    ['backend without a revocation bus', { ...valid, backend: { sessionRegistry: new MemorySessionRegistry() } }, 'backend', /LogoutBackend/],
    ['backend with a registry of the wrong type', { ...valid, backend: { sessionRegistry: {}, revocationBus: new LocalRevocationBus() } }, 'backend', /LogoutBackend/],
    ['the removed store option', { ...valid, store: {} }, 'store', /not a known option/],
    ['the removed revocationBus option', { ...valid, revocationBus: new LocalRevocationBus() }, 'revocationBus', /not a known option/],
    ['routePrefix with a space', { ...valid, routePrefix: 'a b' }, 'routePrefix', /path/],
    ['unknown route', { ...valid, routes: { everything: true } }, 'routes.everything', /not a known option/],
    ['route switch not boolean', { ...valid, routes: { backchannelLogout: 'yes' } }, 'routes.backchannelLogout', /true or false/],
  ];

  it.each(bad)('%s → a coded error naming the option', (_name, options, option, message) => {
    const error = configError(options);
    expect(error.code).toBe('ERR_KEYCLOAK_LOGOUT_CONFIG');
    expect(error.option).toBe(option);
    expect(error.message).toMatch(message);
    expect(error.message).toContain(`"${option}"`);
  });
});

describe('resolveRouting', () => {
  it('switches routes off individually', () => {
    expect(resolveRouting({ routes: { keycloakAdmin: false } }).routes).toMatchObject({ backchannelLogout: true, keycloakAdmin: false });
  });
});
