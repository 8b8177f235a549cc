import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeycloakLogoutModule, RevocationService } from '../../lib/index.js';
import { BACKCHANNEL_EVENT, keycloak26LogoutToken } from '../support/keycloak-logout-tokens.js';
import { nowSeconds } from '../support/clock.js';
import { FakeRealm } from '../support/fake-realm.js';
import { keycloakLogoutAction } from '../support/keycloak-admin-actions.js';
import { ADAPTERS, startTestApp, type TestApp } from '../support/test-app.js';

/** Cases per property; `npm run fuzz` raises it for a long run. */
const RUNS = Number(process.env.FUZZ_RUNS ?? 40);
const CLIENT = 'app-a';
const ROUTES = ['backchannel-logout', 'k_logout', 'k_push_not_before', 'k_test_available'];
const CONTENT_TYPES = ['application/x-www-form-urlencoded', 'text/plain', 'application/json', 'application/octet-stream', 'multipart/form-data; boundary=x', 'text/plain; charset=utf-16', ''];

function decodePayload(token: string): unknown {
  try {
    return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/** What the spec (§2.4/2.6) and Keycloak require of an acceptable logout token. */
function isValidLogoutClaims(claims: any, issuer: string): boolean {
  if (typeof claims !== 'object' || claims === null) return false;
  const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  const t = nowSeconds();
  return (
    claims.iss === issuer &&
    aud.includes(CLIENT) &&
    typeof claims.iat === 'number' && claims.iat <= t + 5 && claims.iat >= t - 310 &&
    typeof claims.exp === 'number' && claims.exp >= t - 5 &&
    typeof claims.jti === 'string' && claims.jti !== '' &&
    (typeof claims.sub === 'string' || typeof claims.sid === 'string') &&
    typeof claims.events === 'object' && claims.events !== null && !Array.isArray(claims.events) &&
    typeof claims.events[BACKCHANNEL_EVENT] === 'object' && claims.events[BACKCHANNEL_EVENT] !== null && !Array.isArray(claims.events[BACKCHANNEL_EVENT]) &&
    claims.nonce === undefined
  );
}

const mutation = fc.oneof(
  fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), text: fc.string({ minLength: 1, maxLength: 3 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 20 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: fc.string({ maxLength: 10 }) }),
  fc.record({ kind: fc.constant('swap-segments' as const), at: fc.nat(), text: fc.constant('') }),
);

type Mutation = { kind: 'replace' | 'delete' | 'insert' | 'swap-segments'; at: number; text?: string; length?: number };

function mutate(token: string, m: Mutation): string {
  const at = m.at % (token.length + 1);
  switch (m.kind) {
    case 'replace':
      return token.slice(0, at) + m.text! + token.slice(at + m.text!.length);
    case 'delete':
      return token.slice(0, at) + token.slice(at + m.length!);
    case 'insert':
      return token.slice(0, at) + m.text! + token.slice(at);
    case 'swap-segments': {
      const [a, b, c] = token.split('.');
      return [b, a, c].join('.');
    }
  }
}

describe.each(ADAPTERS)('fuzzing the logout endpoints (%s)', (adapter) => {
  let realm: FakeRealm;
  let test: TestApp;
  let revocations: RevocationService;

  beforeAll(async () => {
    realm = await FakeRealm.start();
    test = await startTestApp(adapter, KeycloakLogoutModule.forRoot({ issuer: realm.issuer, clientId: CLIENT }));
    revocations = test.app.get(RevocationService);
  });
  afterAll(async () => {
    await test?.close();
    await realm?.close();
  });

  it('random bodies and content types: never a 5xx, always a JSON error, nothing revoked', async () => {
    let accepted = 0;
    revocations.onLogout(() => {
      accepted += 1;
    });
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...ROUTES),
        fc.constantFrom(...CONTENT_TYPES),
        fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: 'binary', maxLength: 300 }), fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b).toString('latin1')), fc.constant('logout_token='), fc.constant('logout_token=%E0%A4%A'), fc.json()),
        async (route, contentType, body) => {
          const response = await fetch(`${test.url}/auth/${route}`, {
            method: 'POST',
            headers: contentType ? { 'content-type': contentType } : {},
            body: new TextEncoder().encode(body),
          });
          expect(response.status).toBeGreaterThanOrEqual(400);
          expect(response.status).toBeLessThan(500);
          const text = await response.text();
          // The platform's own 415 for unknown content types is JSON too on Fastify; ours always are.
          expect(() => JSON.parse(text)).not.toThrow();
        },
      ),
      { numRuns: RUNS * 3 },
    );
    expect(accepted).toBe(0);
    expect(revocations.notBefore).toBe(0);
  });

  it('mutated valid logout tokens: never a 5xx; anything accepted carries the original claims', async () => {
    await fc.assert(
      fc.asyncProperty(mutation, async (m) => {
        const original = await keycloak26LogoutToken({ realm, clientId: CLIENT, sid: `fuzz-${Math.random()}` });
        const mutated = mutate(original, m);
        const response = await fetch(`${test.url}/auth/backchannel-logout`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ logout_token: mutated }).toString(),
        });
        expect([200, 400]).toContain(response.status);
        if (response.status === 200) expect(decodePayload(mutated)).toEqual(decodePayload(original));
      }),
      { numRuns: RUNS },
    );
  });

  it('validly signed tokens with arbitrary claims: accepted only when every rule holds', async () => {
    const claimValue = fc.oneof(fc.anything({ maxDepth: 2 }), fc.constant(undefined));
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          iss: fc.oneof(fc.constant(realm.issuer), claimValue),
          aud: fc.oneof(fc.constant(CLIENT), fc.constant([CLIENT, 'x']), claimValue),
          iat: fc.oneof(fc.constant(nowSeconds()), fc.integer({ min: nowSeconds() - 1000, max: nowSeconds() + 1000 }), claimValue),
          exp: fc.oneof(fc.constant(nowSeconds() + 120), fc.integer({ min: nowSeconds() - 1000, max: nowSeconds() + 1000 }), claimValue),
          jti: fc.oneof(fc.uuid(), claimValue),
          sub: fc.oneof(fc.constant('user'), claimValue),
          sid: fc.oneof(fc.uuid(), claimValue),
          events: fc.oneof(fc.constant({ [BACKCHANNEL_EVENT]: {} }), fc.constant({ [BACKCHANNEL_EVENT]: {}, revoke_offline_access: true }), claimValue),
          nonce: fc.oneof(fc.constant(undefined), claimValue),
        }),
        async (claims) => {
          // Through JSON, as the token carries it (no NaN, no undefined); signRaw skips jose's own checks.
          const payload = JSON.parse(JSON.stringify(claims)) as Record<string, unknown>;
          const token = await realm.signRaw(JSON.stringify(payload), { typ: 'logout+jwt' });
          const response = await fetch(`${test.url}/auth/backchannel-logout`, {
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            body: new URLSearchParams({ logout_token: token }).toString(),
          });
          expect([200, 400]).toContain(response.status);
          if (response.status === 200) expect(isValidLogoutClaims(payload, realm.issuer)).toBe(true);
        },
      ),
      { numRuns: RUNS * 2 },
    );
  });

  it('mutated admin actions: never a 5xx; anything accepted carries the original action', async () => {
    await fc.assert(
      fc.asyncProperty(mutation, async (m) => {
        const original = await keycloakLogoutAction({ realm, clientId: CLIENT, keycloakSessionIds: [`fuzz-${Math.random()}`] });
        const mutated = mutate(original, m);
        const response = await fetch(`${test.url}/auth/k_logout`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: mutated });
        expect(response.status).toBeGreaterThanOrEqual(200);
        expect(response.status).toBeLessThan(500);
        if (response.status === 200) expect(decodePayload(mutated)).toEqual(decodePayload(original));
      }),
      { numRuns: RUNS },
    );
  });
});
