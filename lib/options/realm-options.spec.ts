import { describe, expect, it } from 'vitest';
import { KeycloakLogoutConfigError } from '../errors/keycloak-logout-config.error.js';
import type { KeycloakLogoutModuleOptions, RealmOptions } from './keycloak-logout-options.interface.js';
import { resolveOptions } from './resolve-options.js';

const PRIMARY = 'https://kc.example/realms/demo';
const partners: RealmOptions = { name: 'partners', issuer: 'https://kc.example/realms/partners', clientId: 'partner-app' };

function withRealms(realms: unknown): KeycloakLogoutModuleOptions {
  return { issuer: PRIMARY, clientId: 'app', realms: realms as RealmOptions[] };
}

function configError(options: KeycloakLogoutModuleOptions): KeycloakLogoutConfigError {
  try {
    resolveOptions(options);
  } catch (error) {
    expect(error).toBeInstanceOf(KeycloakLogoutConfigError);
    return error as KeycloakLogoutConfigError;
  }
  throw new Error('expected a KeycloakLogoutConfigError');
}

describe('resolveOptions: realms', () => {
  it('has no further realms by default', () => {
    expect(resolveOptions({ issuer: PRIMARY, clientId: 'app' }).realms).toEqual([]);
  });

  it('fills in each realm\'s defaults, independently of the primary realm\'s algorithms', () => {
    const resolved = resolveOptions({
      ...withRealms([partners, { ...partners, name: 'staff', issuer: 'https://sso.example/realms/staff', algorithms: ['ES256'], audience: 'api' }]),
      algorithms: ['PS256'],
    });
    expect(resolved.realms).toEqual([
      { ...partners, clientSecret: undefined, algorithms: ['RS256'], adminAlgorithms: ['RS256'], jwksUri: undefined, audience: undefined },
      { name: 'staff', issuer: 'https://sso.example/realms/staff', clientId: 'partner-app', clientSecret: undefined, algorithms: ['ES256'], adminAlgorithms: ['ES256'], jwksUri: undefined, audience: ['api'] },
    ]);
    expect(resolved.algorithms).toEqual(['PS256']);
  });

  const bad: Array<[string, unknown, string, RegExp]> = [
    ['realms not an array', { name: 'x' }, 'realms', /must be an array/],
    ['a realm not an object', ['partners'], 'realms[0]', /must be an object/],
    ['an unknown realm key', [{ ...partners, secret: 'x' }], 'realms[0].secret', /not a known realm option/],
    ['a name with a slash', [{ ...partners, name: 'a/b' }], 'realms[0].name', /URL path segment/],
    ['a name with a space', [{ ...partners, name: 'my realm' }], 'realms[0].name', /URL path segment/],
    ['a name ".."', [{ ...partners, name: '..' }], 'realms[0].name', /not "\." or "\.\."/],
    ['a name too long', [{ ...partners, name: 'x'.repeat(65) }], 'realms[0].name', /1 to 64/],
    ['an empty name', [{ ...partners, name: '' }], 'realms[0].name', /non-empty string/],
    ['a missing issuer', [{ name: 'partners', clientId: 'app' }], 'realms[0].issuer', /required/],
    ['an issuer not a URL', [{ ...partners, issuer: 'partners' }], 'realms[0].issuer', /absolute URL/],
    ['a missing clientId', [{ name: 'partners', issuer: partners.issuer }], 'realms[0].clientId', /required/],
    ['the primary issuer again', [{ ...partners, issuer: PRIMARY }], 'realms[0].issuer', /issuer of the primary realm/],
    ['a duplicate issuer', [partners, { ...partners, name: 'other' }], 'realms[1].issuer', /issuer of another realm/],
    ['a duplicate name', [partners, { ...partners, issuer: 'https://kc.example/realms/other' }], 'realms[1].name', /names must be unique/],
    ['a symmetric algorithm', [{ ...partners, algorithms: ['HS256'] }], 'realms[0].algorithms', /only asymmetric/],
    ['empty admin algorithms', [{ ...partners, adminAlgorithms: [] }], 'realms[0].adminAlgorithms', /non-empty array/],
    ['a jwksUri not a URL', [{ ...partners, jwksUri: 'certs' }], 'realms[0].jwksUri', /absolute URL/],
    ['an empty audience', [{ ...partners, audience: [] }], 'realms[0].audience', /non-empty string/],
  ];
  it.each(bad)('refuses %s, naming the option', (_, realms, option, message) => {
    const error = configError(withRealms(realms));
    expect(error.option).toBe(option);
    expect(error.message).toMatch(message);
  });
});
