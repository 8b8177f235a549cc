import { describe, expect, it } from 'vitest';
import { parseDoctorArgs } from './parse-doctor-args.js';

const BASE = ['doctor', '--issuer', 'https://kc.example/realms/demo/', '--client-id', 'app-a'];

describe('parseDoctorArgs', () => {
  it('reads every option into DoctorOptions (trailing slashes dropped, lists split)', () => {
    const parsed = parseDoctorArgs(
      [...BASE, '--app-url', 'https://app.example/', '--route-prefix', 'sso', '--algorithms', 'RS256, ES256', '--admin-algorithms', 'RS256', '--clock-tolerance', '10', '--timeout', '2000', '--without-admin-routes', '--admin-client-id', 'doctor', '--admin-client-secret', 's', '--admin-realm', 'demo', '--json'],
      {},
    );
    expect(parsed).toEqual({
      kind: 'doctor',
      json: true,
      options: {
        issuer: 'https://kc.example/realms/demo',
        clientId: 'app-a',
        appUrl: 'https://app.example',
        routePrefix: 'sso',
        algorithms: ['RS256', 'ES256'],
        adminAlgorithms: ['RS256'],
        clockTolerance: 10,
        timeoutMs: 2000,
        withoutAdminRoutes: true,
        adminRealm: 'demo',
        admin: { kind: 'client', clientId: 'doctor', clientSecret: 's' },
      },
    });
  });

  it('takes the admin password and client secret from the environment', () => {
    expect(parseDoctorArgs([...BASE, '--admin-user', 'admin'], { KEYCLOAK_ADMIN_PASSWORD: 'pw' })).toMatchObject({ options: { admin: { kind: 'password', username: 'admin', password: 'pw' } } });
    expect(parseDoctorArgs([...BASE, '--admin-client-id', 'c'], { KEYCLOAK_ADMIN_CLIENT_SECRET: 'sec' })).toMatchObject({ options: { admin: { kind: 'client', clientId: 'c', clientSecret: 'sec' } } });
  });

  it.each([
    [['doctor', '--client-id', 'a'], '--issuer is required'],
    [['doctor', '--issuer', 'https://kc.example/realms/r'], '--client-id is required'],
    [['doctor', '--issuer', 'ftp://kc.example/realms/r', '--client-id', 'a'], 'must be an http(s) URL'],
    [[...BASE, '--app-url', 'not a url'], '--app-url must be an http(s) URL'],
    [[...BASE, '--algorithms', ','], 'at least one algorithm'],
    [[...BASE, '--algorithms', 'none'], 'none not supported'],
    [[...BASE, '--admin-algorithms', 'HS512'], 'HS512 not supported'],
    [[...BASE, '--clock-tolerance', '-1'], '--clock-tolerance'],
    [[...BASE, '--clock-tolerance', '301'], 'from 0 to 300'],
    [[...BASE, '--timeout', '1.5'], 'must be an integer'],
    [[...BASE, '--admin-password', 'p'], '--admin-password needs --admin-user'],
    [[...BASE, '--admin-client-secret', 's'], '--admin-client-secret needs --admin-client-id'],
    [[...BASE, '--admin-client-id', 'c'], 'needs --admin-client-secret'],
    [[...BASE, 'extra'], 'unexpected argument "extra"'],
    [[...BASE, '--issuer'], "Option '--issuer <value>' argument missing"],
  ])('refuses %j: %s', (argv, message) => {
    const parsed = parseDoctorArgs(argv, {});
    expect(parsed.kind).toBe('usage-error');
    expect(parsed.kind === 'usage-error' && parsed.message).toContain(message);
  });

  it('--help wins over everything else', () => {
    expect(parseDoctorArgs(['doctor', '--help'], {})).toEqual({ kind: 'help' });
    expect(parseDoctorArgs(['-h'], {})).toEqual({ kind: 'help' });
  });
});
