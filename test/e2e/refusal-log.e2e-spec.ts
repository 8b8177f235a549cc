/**
 * Keycloak logs a refused back-channel or Admin URL call only at debug level and marks the
 * client logged out anyway; the app must say it. Every refused logout is logged at warn level
 * with a reason code, the issuer and the client, never the token; identical refusals are
 * rate-limited, and every refusal is counted.
 */
import type { LoggerService } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeycloakLogoutModule } from '../../lib/index.js';
import { RefusalLog } from '../../lib/refusals/refusal-log.service.js';
import { keycloak26LogoutToken, mutatedLogoutToken } from '../support/keycloak-logout-tokens.js';
import { FakeRealm } from '../support/fake-realm.js';
import { keycloakAccessToken } from '../support/keycloak-access-token.js';
import { keycloakLogoutAction, postAdminAction } from '../support/keycloak-admin-actions.js';
import { ADAPTERS, postForm, startTestApp, type TestApp } from '../support/test-app.js';

const CLIENT = 'app-refusals';

class LevelLogger implements LoggerService {
  readonly lines: Array<{ level: string; text: string }> = [];
  private add(level: string, message: unknown, rest: unknown[]) {
    this.lines.push({ level, text: [message, ...rest].map(String).join(' ') });
  }
  log(message: unknown, ...rest: unknown[]) {
    this.add('log', message, rest);
  }
  error(message: unknown, ...rest: unknown[]) {
    this.add('error', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]) {
    this.add('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]) {
    this.add('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]) {
    this.add('verbose', message, rest);
  }
}

describe.each(ADAPTERS)('refused logouts are visible (%s)', (adapter) => {
  let realm: FakeRealm;
  let test: TestApp;
  const logger = new LevelLogger();
  const warnings = (pattern: RegExp) => logger.lines.filter((l) => l.level === 'warn' && pattern.test(l.text));

  beforeAll(async () => {
    realm = await FakeRealm.start();
    test = await startTestApp(adapter, KeycloakLogoutModule.forRoot({ issuer: realm.issuer, clientId: CLIENT }), { logger });
  });
  afterAll(async () => {
    await test?.close();
    await realm?.close();
  });

  it('a refused back-channel logout is a warning with reason code, issuer and client, and no part of the token', async () => {
    const token = await mutatedLogoutToken({ realm, clientId: CLIENT, sid: 'kc-x' }, { aud: 'someone-else' });
    const response = await postForm(`${test.url}/auth/backchannel-logout`, { logout_token: token });
    expect(response.status).toBe(400);
    const [line] = warnings(/refused back-channel logout/);
    expect(line?.text).toMatch(new RegExp(`refused back-channel logout: token_invalid \\(logout token claim "aud" is invalid.*\\), answered 400; issuer ${realm.issuer.replace(/[.]/g, '\\.')}, client ${CLIENT}`));
    for (const part of token.split('.')) expect(logger.lines.map((l) => l.text).join('\n')).not.toContain(part.slice(0, 16));
  });

  it('identical refusals are logged once a minute, and all of them counted', async () => {
    const refusals = test.app.get(RefusalLog);
    const before = refusals.counts()['backchannel-logout:request_invalid'] ?? 0;
    for (let i = 0; i < 20; i += 1) {
      expect((await postForm(`${test.url}/auth/backchannel-logout`, {})).status).toBe(400);
    }
    expect(warnings(/refused back-channel logout: request_invalid \(missing "logout_token" parameter\)/)).toHaveLength(1);
    expect(refusals.counts()['backchannel-logout:request_invalid']).toBe(before + 20);
  });

  it('a refused k_logout and a replayed logout token are warnings too', async () => {
    const expired = await keycloakLogoutAction({ realm, clientId: CLIENT, notBefore: 1, expiresIn: -60 });
    expect((await postAdminAction(`${test.url}/auth/k_logout`, expired)).status).toBe(400);
    expect(warnings(/refused Keycloak Admin URL call: token_invalid \(admin action has expired\), answered 400/)).toHaveLength(1);

    const token = await keycloak26LogoutToken({ realm, clientId: CLIENT, sid: 'kc-replayed' });
    expect((await postForm(`${test.url}/auth/backchannel-logout`, { logout_token: token })).status).toBe(200);
    expect((await postForm(`${test.url}/auth/backchannel-logout`, { logout_token: token })).status).toBe(400);
    expect(warnings(/refused back-channel logout: token_replayed/)).toHaveLength(1);
  });

  it('guard refusals are counted; a request without credentials is logged at debug level only', async () => {
    const refusals = test.app.get(RefusalLog);
    expect((await fetch(`${test.url}/api/me`)).status).toBe(401);
    expect(logger.lines.some((l) => l.level === 'debug' && /refused bearer token: missing_token/.test(l.text))).toBe(true);
    expect(warnings(/missing_token/)).toHaveLength(0);
    const wrongClient = await keycloakAccessToken(realm, { clientId: 'another-app', sub: 'alice' });
    expect((await fetch(`${test.url}/api/me`, { headers: { authorization: `Bearer ${wrongClient}` } })).status).toBe(401);
    expect(warnings(/refused bearer token: token_invalid \(access token was not issued for this client/)).toHaveLength(1);
    expect(refusals.counts()).toMatchObject({ 'bearer-guard:missing_token': 1, 'bearer-guard:token_invalid': 1 });
  });
});
