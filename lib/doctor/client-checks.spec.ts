import { describe, expect, it } from 'vitest';
import { resolveDoctorOptions, type DoctorOptions } from './doctor-options.js';
import type { ClientRepresentation } from './keycloak-representations.js';
import { checkBackchannelLogoutUrl } from './backchannel-logout-url.check.js';
import { checkAdminUrl } from './admin-url.check.js';
import { checkPostLogoutRedirectUris, effectivePostLogoutRedirectUris } from './post-logout-redirect.check.js';
import { checkSignatureAlgorithms } from './signature-algorithms.check.js';
import { checkClockSkew } from './clock-skew.check.js';
import { checkAlgorithms } from './algorithms.check.js';
import { realmLocation } from './realm-location.js';
import { readClientConfiguration } from './keycloak-admin-api.js';

const options = (extra: Partial<DoctorOptions> = {}) => resolveDoctorOptions({ issuer: 'https://kc.example/realms/demo', clientId: 'app', appUrl: 'https://app.example', ...extra });
const client = (extra: ClientRepresentation): ClientRepresentation => ({ clientId: 'app', redirectUris: ['https://app.example/auth/callback'], ...extra });

describe('client checks', () => {
  it('resolves a relative Backchannel logout URL and Admin URL against the Root URL, as Keycloak does', () => {
    const relative = client({ rootUrl: 'https://app.example', adminUrl: '/auth', attributes: { 'backchannel.logout.url': '/auth/backchannel-logout' } });
    expect(checkBackchannelLogoutUrl({ options: options(), client: relative }).severity).toBe('ok');
    expect(checkAdminUrl({ options: options(), client: relative }).severity).toBe('ok');
    // Without a Root URL a relative URL goes nowhere.
    expect(checkBackchannelLogoutUrl({ options: options(), client: client({ attributes: { 'backchannel.logout.url': '/auth/backchannel-logout' } }) }).severity).toBe('error');
  });

  it('compares only the path when the URL uses ${application.session.host}', () => {
    const placeholder = client({ adminUrl: 'http://${application.session.host}/auth', attributes: { 'backchannel.logout.url': 'http://${application.session.host}/auth/backchannel-logout' } });
    expect(checkBackchannelLogoutUrl({ options: options(), client: placeholder }).severity).toBe('ok');
    expect(checkAdminUrl({ options: options(), client: placeholder }).severity).toBe('ok');
  });

  it('follows routePrefix and a path in --app-url (a global prefix)', () => {
    const prefixed = client({ adminUrl: 'https://app.example/api/sso', attributes: { 'backchannel.logout.url': 'https://app.example/api/sso/backchannel-logout' } });
    const opts = options({ appUrl: 'https://app.example/api/', routePrefix: '/sso/' });
    expect(checkBackchannelLogoutUrl({ options: opts, client: prefixed }).severity).toBe('ok');
    expect(checkAdminUrl({ options: opts, client: prefixed }).severity).toBe('ok');
    expect(checkBackchannelLogoutUrl({ options: options(), client: prefixed }).message).toContain('does not point at');
  });

  it('without a Backchannel logout URL but with an Admin URL, warns that k_logout takes over', () => {
    const finding = checkBackchannelLogoutUrl({ options: options(), client: client({ adminUrl: 'https://app.example/auth' }) });
    expect(finding).toMatchObject({ severity: 'warning', message: expect.stringContaining('client_session_state') });
  });

  it('with --without-admin-routes, an empty Admin URL only warns and a set one is pointless', () => {
    expect(checkAdminUrl({ options: options({ withoutAdminRoutes: true }), client: client({}) }).severity).toBe('warning');
    expect(checkAdminUrl({ options: options({ withoutAdminRoutes: true }), client: client({ adminUrl: 'https://app.example/auth' }) }).message).toContain('404');
  });

  it.each([
    [undefined, ['https://app.example/auth/callback']],
    ['', ['https://app.example/auth/callback']],
    ['-', []],
    ['-##https://x.example/', []],
    ['+', ['https://app.example/auth/callback']],
    ['https://app.example/bye##+', ['https://app.example/bye', 'https://app.example/auth/callback']],
    ['https://app.example/*##https://b.example/', ['https://app.example/*', 'https://b.example/']],
  ])('post.logout.redirect.uris %j means %j', (value, expected) => {
    const attributes: Record<string, string> = value === undefined ? {} : { 'post.logout.redirect.uris': value };
    expect(effectivePostLogoutRedirectUris(client({ attributes }))).toEqual(expected);
  });

  it("matches the library's logout return route against wildcards, and warns when none matches", () => {
    expect(checkPostLogoutRedirectUris({ options: options(), client: client({ attributes: { 'post.logout.redirect.uris': 'https://app.example/*' } }) }).severity).toBe('ok');
    expect(checkPostLogoutRedirectUris({ options: options(), client: client({ rootUrl: 'https://app.example', attributes: { 'post.logout.redirect.uris': '/auth/logout/return' } }) }).severity).toBe('ok');
    expect(checkPostLogoutRedirectUris({ options: options(), client: client({ attributes: { 'post.logout.redirect.uris': 'https://other.example/' } }) }).severity).toBe('warning');
  });

  it('checks access-token algorithms too, and skips the admin-action algorithm without Admin URL routes', () => {
    const findings = checkSignatureAlgorithms({ options: options({ withoutAdminRoutes: true }), client: client({ attributes: { 'access.token.signed.response.alg': 'PS256' } }), realm: { defaultSignatureAlgorithm: 'RS256' } });
    expect(findings.map((f) => [f.id, f.severity])).toEqual([['client.id-token-algorithm', 'ok'], ['client.access-token-algorithm', 'error']]);
  });
});

describe('realm checks', () => {
  it('clock skew: ok within 2 s, a warning within clockTolerance, an error beyond it, a warning without Date', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    const at = (offset: number) => new Date(now + offset).toUTCString();
    expect(checkClockSkew(options(), at(0), now).severity).toBe('ok');
    expect(checkClockSkew(options(), at(-4_000), now)).toMatchObject({ severity: 'warning', message: expect.stringContaining('behind') });
    expect(checkClockSkew(options(), at(9_000), now).severity).toBe('error');
    expect(checkClockSkew(options({ clockTolerance: 30 }), at(9_000), now).severity).toBe('warning');
    expect(checkClockSkew(options(), null, now).severity).toBe('warning');
    expect(checkClockSkew(options(), 'yesterday-ish', now).severity).toBe('warning');
  });

  it('algorithms: RSA keys without alg count as RS256, encryption keys are ignored, HS algorithms are refused', () => {
    expect(checkAlgorithms(options(), [{ kty: 'RSA' }], {})[0]!.severity).toBe('ok');
    expect(checkAlgorithms(options(), [{ kty: 'RSA', alg: 'RS256' }, { kty: 'EC', alg: 'ES256' }], {})[0]).toMatchObject({ severity: 'warning', message: expect.stringContaining('ES256') });
    expect(checkAlgorithms(options({ algorithms: ['HS256'] }), [{ kty: 'RSA' }], {})[0]).toMatchObject({ id: 'algorithms.configured', severity: 'error' });
    expect(checkAlgorithms(options({ algorithms: ['RS256', 'PS512'] }), [{ kty: 'RSA' }], { id_token_signing_alg_values_supported: ['RS256'] })[1]).toMatchObject({ id: 'algorithms.advertised', severity: 'warning' });
  });

  it('derives the realm and the Admin API base from the issuer, /auth included', () => {
    expect(realmLocation('https://kc.example/realms/demo')).toEqual({ base: 'https://kc.example', realm: 'demo' });
    expect(realmLocation('https://kc.example/auth/realms/my%20realm/')).toEqual({ base: 'https://kc.example/auth', realm: 'my realm' });
    expect(realmLocation('https://login.example/oauth2')).toBeUndefined();
  });
});

describe('admin credentials', () => {
  it('are never sent over plain http to another host', async () => {
    const opts = options({ issuer: 'http://kc.example.invalid/realms/demo' });
    const read = await readClientConfiguration(opts, { kind: 'password', username: 'admin', password: 'pw' });
    expect(read.findings).toEqual([expect.objectContaining({ id: 'admin.token', severity: 'error', message: expect.stringContaining('not sending admin credentials') })]);
  });
});
