import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeycloakLogoutModule, RevocationService, type KeycloakLogoutModuleOptions } from '../../lib/index.js';
import { keycloak26LogoutToken, mutatedLogoutToken } from '../support/keycloak-logout-tokens.js';
import { nowSeconds } from '../support/clock.js';
import { createRealmKey, FakeRealm, type RealmKey } from '../support/fake-realm.js';
import { keycloakAccessToken } from '../support/keycloak-access-token.js';
import { keycloakLogoutAction, postAdminAction } from '../support/keycloak-admin-actions.js';
import { CapturingLogger, postForm, startTestApp, type TestApp } from '../support/test-app.js';
import { waitFor, waitForElapsed } from '../support/wait-for.js';

/*
 * Faults of the OP, on real servers over loopback: the JWKS endpoint down or hanging, discovery
 * down at startup or naming another issuer, and clocks that disagree by a few seconds. The
 * library must fail closed (503 on guarded routes, 400 on the back-channel route), answer within
 * about `jwks.timeout`, keep working with what it already knows, and recover by itself.
 * (Redis outages: test/integration/redis-outage.int-spec.ts. One logout delivered many times:
 * adversarial-tokens.e2e-spec.ts and redis-multi-instance.int-spec.ts.)
 */

const CLIENT = 'app-faults';
/** A small `jwks.timeout` (ms), so that a hanging OP costs the tests little. */
const TIMEOUT = 300;
/** What the machine may add to a bounded answer (a shared 2-core box under a parallel test run). */
const MARGIN = 1_000;
/** How long the fake OP holds a "slow" answer: well past the timeout. */
const HANG = 10_000;

interface Answer {
  status: number;
  body: { error?: string; error_description?: string };
  ms: number;
}

async function timed(request: () => Promise<Response>): Promise<Answer> {
  const started = performance.now();
  const response = await request();
  const text = await response.text();
  return { status: response.status, body: text === '' ? {} : (JSON.parse(text) as Answer['body']), ms: performance.now() - started };
}

/** Signs with `key` instead of the realm's current key (a rotation the app has not seen, or an old key). */
function signedWith(realm: FakeRealm, key: RealmKey): FakeRealm {
  return { ...realm, issuer: realm.issuer, sign: (payload: Record<string, unknown>, header?: Record<string, unknown>) => realm.sign(payload, header, key) } as FakeRealm;
}

function startApp(realm: FakeRealm, options: Partial<KeycloakLogoutModuleOptions> = {}, logger?: CapturingLogger): Promise<TestApp> {
  return startTestApp('express', KeycloakLogoutModule.forRoot({ issuer: realm.issuer, clientId: CLIENT, ...options }), logger ? { logger } : {});
}

function client(test: TestApp) {
  return {
    bearer: (token: string) => timed(() => fetch(`${test.url}/api/me`, { headers: { authorization: `Bearer ${token}` } })),
    backchannel: (logoutToken: string) => timed(() => postForm(`${test.url}/auth/backchannel-logout`, { logout_token: logoutToken })),
    kLogout: (action: string) => timed(() => postAdminAction(`${test.url}/auth/k_logout`, action)),
  };
}

describe.each([
  ['down (HTTP 500)', (realm: FakeRealm): void => void (realm.jwksStatus = 500), false],
  ['slow (hangs past jwks.timeout)', (realm: FakeRealm): void => void (realm.jwksDelayMs = HANG), true],
] as const)('JWKS endpoint %s', (_name, breakJwks, hangs) => {
  let realm: FakeRealm;
  let test: TestApp;
  let api: ReturnType<typeof client>;
  let oldKey: RealmKey;
  let sid = 0;
  const nextSid = () => `jwks-${hangs ? 'slow' : 'down'}-${++sid}`;

  beforeAll(async () => {
    realm = await FakeRealm.start();
    // cooldown 0: a token with an unknown kid may refetch at once, so every such token below needs the OP.
    test = await startApp(realm, { jwks: { timeout: TIMEOUT, cooldown: 0 } });
    api = client(test);
    oldKey = realm.signingKey;
    // The keys are cached from here on.
    expect((await api.bearer(await keycloakAccessToken(realm, { clientId: CLIENT, sub: 'warm-up' }))).status).toBe(200);
    breakJwks(realm);
  });
  afterAll(async () => {
    await test?.close();
    await realm?.close();
  });

  it('cached keys keep working: new access tokens and logout tokens signed with a known key, at once, without asking the OP', async () => {
    const fetches = realm.jwksFetches;
    const victimSid = nextSid();
    const victim = await keycloakAccessToken(realm, { clientId: CLIENT, sub: 'alice', sid: victimSid });
    const accepted = await api.bearer(victim);
    expect(accepted.status).toBe(200);
    expect(accepted.ms).toBeLessThan(MARGIN);

    const logout = await api.backchannel(await keycloak26LogoutToken({ realm, clientId: CLIENT, sid: victimSid }));
    expect(logout).toMatchObject({ status: 200 });
    expect(logout.ms).toBeLessThan(MARGIN);
    expect((await api.bearer(victim)).body.error_description).toMatch(/revoked \(sid\)/);
    expect(realm.jwksFetches).toBe(fetches);
  });

  it('a token needing a refetch (key rotated during the outage): bearer 503, back-channel 400, within jwks.timeout + margin, nothing revoked', async () => {
    const rotated = await realm.rotate(`rotated-${hangs ? 'slow' : 'down'}`);
    const victimSid = nextSid();
    const victim = await keycloakAccessToken(signedWith(realm, oldKey), { clientId: CLIENT, sub: 'bob', sid: victimSid });
    expect((await api.bearer(victim)).status).toBe(200);

    const refused = await api.bearer(await keycloakAccessToken(realm, { clientId: CLIENT, sub: 'bob', sid: victimSid }));
    expect(refused.status).toBe(503);
    expect(refused.body).toMatchObject({ error: 'temporarily_unavailable', error_description: expect.stringMatching(/cannot be reached right now/) });
    // The caller is not told where the OP lives; the server's log is.
    expect(refused.body.error_description).not.toContain(new URL(realm.issuer).host);
    // A hanging OP costs about the timeout, never the hang; a failing one costs a round trip.
    if (hangs) expect(refused.ms).toBeGreaterThanOrEqual(TIMEOUT - 50);
    expect(refused.ms).toBeLessThan(TIMEOUT + MARGIN);

    const logout = await api.backchannel(await keycloak26LogoutToken({ realm, clientId: CLIENT, sid: victimSid }));
    expect(logout.status).toBe(400);
    expect(logout.body).toMatchObject({ error: 'temporarily_unavailable' });
    expect(logout.ms).toBeLessThan(TIMEOUT + MARGIN);

    const admin = await api.kLogout(await keycloakLogoutAction({ realm, clientId: CLIENT, keycloakSessionIds: [victimSid] }));
    expect(admin.status).toBe(503);
    expect(admin.ms).toBeLessThan(TIMEOUT + MARGIN);

    // Refused without a decision, and nothing was revoked: the victim's token still works.
    expect((await api.bearer(victim)).status).toBe(200);
    expect(realm.signingKey).toBe(rotated);
  });

  it('recovers without a restart once the JWKS answers again: the rotated key is picked up', async () => {
    realm.jwksStatus = undefined;
    realm.jwksDelayMs = undefined;
    const victimSid = nextSid();
    const token = await keycloakAccessToken(realm, { clientId: CLIENT, sub: 'carol', sid: victimSid });
    // Polled, no fixed sleep: as fast as the library recovers.
    await waitFor(async () => (await api.bearer(token)).status === 200, 'rotated key accepted', 3_000, 25);
    expect((await api.backchannel(await keycloak26LogoutToken({ realm, clientId: CLIENT, sid: victimSid }))).status).toBe(200);
    expect((await api.bearer(token)).status).toBe(401);
  });
});

describe('JWKS outage that outlasts jwks.cacheMaxAge', () => {
  const CACHE_MAX_AGE = 1_000;
  const COOLDOWN = 2_000;
  let realm: FakeRealm;
  let test: TestApp;
  let api: ReturnType<typeof client>;

  beforeAll(async () => {
    realm = await FakeRealm.start();
    test = await startApp(realm, { jwks: { timeout: TIMEOUT, cooldown: COOLDOWN, cacheMaxAge: CACHE_MAX_AGE } });
    api = client(test);
    expect((await api.bearer(await keycloakAccessToken(realm, { clientId: CLIENT, sub: 'warm-up' }))).status).toBe(200);
  });
  afterAll(async () => {
    await test?.close();
    await realm?.close();
  });

  it('keys past their cache age still verify while the OP hangs (one bounded attempt, then no new request until the cooldown)', async () => {
    realm.jwksDelayMs = HANG;
    // The scenario itself: the cached keys must grow older than cacheMaxAge.
    await sleep(CACHE_MAX_AGE + 100);
    const fetches = realm.jwksFetches;
    const first = await api.bearer(await keycloakAccessToken(realm, { clientId: CLIENT, sub: 'dave', sid: 'stale-1' }));
    expect(first.status).toBe(200);
    expect(first.ms).toBeLessThan(TIMEOUT + MARGIN);
    expect(realm.jwksFetches).toBe(fetches + 1);

    // The OP is known to be struggling: the next requests neither wait nor ask it again.
    const next = await api.bearer(await keycloakAccessToken(realm, { clientId: CLIENT, sub: 'dave', sid: 'stale-2' }));
    expect(next.status).toBe(200);
    expect(next.ms).toBeLessThan(TIMEOUT);
    const logout = await api.backchannel(await keycloak26LogoutToken({ realm, clientId: CLIENT, sid: 'stale-2' }));
    expect(logout.status).toBe(200);
    // A key the cached set lacks still needs the OP: 503, fast, without another request to it.
    const unknown = await api.bearer(await keycloakAccessToken(signedWith(realm, await createRealmKey('never-published')), { clientId: CLIENT, sub: 'dave' }));
    expect(unknown.status).toBe(503);
    expect(unknown.ms).toBeLessThan(TIMEOUT);
    expect(realm.jwksFetches).toBe(fetches + 1);
    realm.jwksDelayMs = undefined;
  });

  it('a flood of unknown kids while the JWKS is down asks the OP at most once per cooldown', async () => {
    realm.jwksStatus = 500;
    // Past both the cache age and the cooldown of the last successful fetch (or failed attempt).
    await sleep(COOLDOWN + 100);
    const fetches = realm.jwksFetches;
    const started = Date.now();
    const statuses: number[] = [];
    const attacker = await createRealmKey('bogus');
    for (let i = 0; i < 30; i += 1) {
      const bogus = { ...attacker, kid: `bogus-${i}` };
      statuses.push((await api.bearer(await keycloakAccessToken(signedWith(realm, bogus), { clientId: CLIENT, sub: 'mallory' }))).status);
    }
    const windows = 1 + Math.floor((Date.now() - started) / COOLDOWN);
    expect(new Set(statuses)).toEqual(new Set([503]));
    expect(realm.jwksFetches - fetches).toBeLessThanOrEqual(windows);
    realm.jwksStatus = undefined;
  });
});

describe('discovery down at startup', () => {
  let realm: FakeRealm;
  let test: TestApp;
  let api: ReturnType<typeof client>;

  beforeAll(async () => {
    realm = await FakeRealm.start();
    realm.discoveryDelayMs = HANG;
    test = await startApp(realm, { jwks: { timeout: TIMEOUT } });
    api = client(test);
  });
  afterAll(async () => {
    await test?.close();
    await realm?.close();
  });

  it('the app boots anyway and serves its open routes', async () => {
    expect((await fetch(`${test.url}/api/public`)).status).toBe(200);
  });

  it('while discovery hangs: bearer 503 and back-channel 400, each within jwks.timeout + margin', async () => {
    const bearer = await api.bearer(await keycloakAccessToken(realm, { clientId: CLIENT, sub: 'erin', sid: 'boot-hang' }));
    expect(bearer.status).toBe(503);
    expect(bearer.body).toMatchObject({ error: 'temporarily_unavailable', error_description: expect.stringMatching(/identity provider .* cannot be reached/) });
    expect(bearer.body.error_description).not.toMatch(/well-known|127\.0\.0\.1/);
    expect(bearer.ms).toBeLessThan(TIMEOUT + MARGIN);
    const logout = await api.backchannel(await keycloak26LogoutToken({ realm, clientId: CLIENT, sid: 'boot-hang' }));
    expect(logout.status).toBe(400);
    expect(logout.body).toMatchObject({ error: 'temporarily_unavailable' });
    expect(logout.ms).toBeLessThan(TIMEOUT + MARGIN);
  });

  it('while discovery answers 503: the same, and the OP is not hammered (one request per retry pause)', async () => {
    realm.discoveryDelayMs = undefined;
    realm.discoveryStatus = 503;
    const fetches = realm.discoveryFetches;
    const started = Date.now();
    for (let i = 0; i < 10; i += 1) {
      expect((await api.bearer(await keycloakAccessToken(realm, { clientId: CLIENT, sub: 'erin', sid: 'boot-down' }))).status).toBe(503);
      expect((await api.backchannel(await keycloak26LogoutToken({ realm, clientId: CLIENT, sid: 'boot-down' }))).status).toBe(400);
    }
    // The discovery service retries after a 1 s pause following a failure.
    expect(realm.discoveryFetches - fetches).toBeLessThanOrEqual(1 + Math.ceil((Date.now() - started) / 1_000));
    expect(realm.jwksFetches).toBe(0);
  });

  it('once discovery answers, everything works without a restart', async () => {
    realm.discoveryStatus = undefined;
    const token = await keycloakAccessToken(realm, { clientId: CLIENT, sub: 'erin', sid: 'boot-down' });
    // At most the 1 s retry pause, plus the machine's margin.
    const took = await waitForElapsed(async () => (await api.bearer(token)).status === 200, 'bearer accepted after discovery is back', 1_000 + MARGIN + 1_000, 25);
    expect(took).toBeLessThan(1_000 + MARGIN + 1_000);
    expect((await api.backchannel(await keycloak26LogoutToken({ realm, clientId: CLIENT, sid: 'boot-down' }))).status).toBe(200);
    expect((await api.bearer(token)).status).toBe(401);
    const other = await keycloakAccessToken(realm, { clientId: CLIENT, sub: 'frank', sid: 'boot-admin' });
    expect((await api.bearer(other)).status).toBe(200);
    expect((await api.kLogout(await keycloakLogoutAction({ realm, clientId: CLIENT, keycloakSessionIds: ['boot-admin'] }))).status).toBe(200);
    expect((await api.bearer(other)).status).toBe(401);
  });
});

describe('a discovery document whose issuer does not match', () => {
  let realm: FakeRealm;
  let test: TestApp;
  let api: ReturnType<typeof client>;
  const logger = new CapturingLogger();

  beforeAll(async () => {
    realm = await FakeRealm.start();
    realm.discoveryIssuer = 'https://evil.example/realms/demo';
    test = await startApp(realm, { jwks: { timeout: TIMEOUT } }, logger);
    api = client(test);
  });
  afterAll(async () => {
    await test?.close();
    await realm?.close();
  });

  it('names the mismatch clearly, accepts nothing, revokes nothing, never fetches the keys it points to', async () => {
    const token = await keycloakAccessToken(realm, { clientId: CLIENT, sub: 'gina', sid: 'mismatch' });
    const bearer = await api.bearer(token);
    expect(bearer.status).toBe(503);
    // Unauthenticated callers learn that the OP cannot be used, not its URLs.
    expect(bearer.body.error_description).toMatch(/cannot be reached right now/);
    expect(bearer.body.error_description).not.toMatch(/evil\.example|127\.0\.0\.1/);

    const logout = await api.backchannel(await keycloak26LogoutToken({ realm, clientId: CLIENT, sid: 'mismatch' }));
    expect(logout.status).toBe(400);
    expect(logout.body.error_description).toMatch(/cannot be reached right now/);
    expect(logout.body.error_description).not.toMatch(/evil\.example|127\.0\.0\.1/);
    expect((await api.kLogout(await keycloakLogoutAction({ realm, clientId: CLIENT, notBefore: nowSeconds() + 60 }))).status).toBe(503);

    expect(realm.jwksFetches).toBe(0);
    expect(test.app.get(RevocationService).revocationReason({ sid: 'mismatch', sub: 'gina', iat: nowSeconds() })).toBeUndefined();
    expect(test.app.get(RevocationService).notBefore).toBe(0);
    expect(logger.lines.join('\n')).toMatch(/does not match the configured issuer/);
    // The refused logout is logged with its reason code, the issuer and the client.
    expect(logger.lines.join('\n')).toMatch(/refused back-channel logout: provider_unavailable \(.*does not match the configured issuer.*\), answered 400; issuer http:\/\/127\.0\.0\.1:\d+\/realms\/demo, client app-faults/);
  });
});

describe('clock skew at the edges of clockTolerance (5 s)', () => {
  let realm: FakeRealm;
  let test: TestApp;
  let api: ReturnType<typeof client>;
  let counter = 0;
  const unique = (what: string) => `skew-${what}-${++counter}`;

  beforeAll(async () => {
    realm = await FakeRealm.start();
    test = await startApp(realm, { clockTolerance: 5 });
    api = client(test);
    // Keys cached, so that the timed cases below cost one request each.
    expect((await api.bearer(await keycloakAccessToken(realm, { clientId: CLIENT, sub: 'warm-up' }))).status).toBe(200);
  });
  afterAll(async () => {
    await test?.close();
    await realm?.close();
  });

  /**
   * Claims are whole seconds and the checks floor the clock, so "4 s ago" is only 1 s inside
   * the tolerance: start each case early in a second, so that signing and the request have most
   * of that second and the edge is tested, not the machine's speed.
   */
  async function earlyInSecond(): Promise<void> {
    const into = Date.now() % 1000;
    if (into > 200) await sleep(1000 - into + 5);
  }

  const cases: Array<[string, number, (offset: number) => Promise<Answer>, number, RegExp]> = [
    [
      'logout token iat in the future',
      4,
      async (offset) => api.backchannel(await mutatedLogoutToken({ realm, clientId: CLIENT, sid: unique('iat'), iat: nowSeconds() + offset }, {})),
      400,
      /"iat"/,
    ],
    [
      'logout token exp in the past',
      -4,
      async (offset) => api.backchannel(await mutatedLogoutToken({ realm, clientId: CLIENT, sid: unique('exp'), iat: nowSeconds() - 30 }, { exp: nowSeconds() + offset })),
      400,
      /expired/,
    ],
    [
      'access token exp in the past',
      -4,
      async (offset) => api.bearer(await keycloakAccessToken(realm, { clientId: CLIENT, sub: 'hank', sid: unique('at-exp'), iat: nowSeconds() - 60, exp: nowSeconds() + offset })),
      401,
      /expired/,
    ],
    [
      'access token nbf in the future',
      4,
      async (offset) => api.bearer(await keycloakAccessToken(realm, { clientId: CLIENT, sub: 'hank', sid: unique('at-nbf'), extra: { nbf: nowSeconds() + offset } })),
      401,
      /"nbf"/,
    ],
    [
      'admin action expiration in the past',
      -4,
      async (offset) => api.kLogout(await keycloakLogoutAction({ realm, clientId: CLIENT, keycloakSessionIds: [unique('admin')], expiresIn: offset })),
      400,
      /expired/,
    ],
  ];

  it.each(cases)('%s: %i s accepted, 3 s further refused', async (_name, inside, send, refusedStatus, reason) => {
    await earlyInSecond();
    const accepted = await send(inside);
    // Status and body together, so that a refusal shows its reason.
    expect({ status: accepted.status, body: accepted.body }).toMatchObject({ status: 200 });

    const outside = inside + Math.sign(inside) * 3;
    await earlyInSecond();
    const refused = await send(outside);
    expect(refused.status).toBe(refusedStatus);
    expect(refused.body.error_description).toMatch(reason);
  });
});
