/**
 * Tokens shaped like the ones Keycloak issues (docs/keycloak-protocol.md §1.3, §6): the same
 * claims, the same header, signed by a realm key. For tests of apps that verify them.
 */
import { randomUUID } from 'node:crypto';
import { BACKCHANNEL_LOGOUT_EVENT } from '../keycloak-logout.constants.js';
import type { RealmKey } from './realm-key.js';
import { nowSeconds, type KeycloakTokenSigner } from './token-signer.js';

/** The user id the builders use when none is given (Keycloak user ids are UUIDs). */
export const TEST_USER_ID = 'f1c3e0b6-7c2e-4bd0-9a34-2f3b1c1e9e10';

/** What every builder takes besides its own claims. */
export interface SigningInput {
  /**
   * Claims to add or replace after the Keycloak shape is built; a claim set to `undefined` is
   * removed. For tokens Keycloak would not send (expired, foreign `aud`, no `events` ...).
   */
  claims?: Record<string, unknown>;
  /** JOSE header members to add or replace (e.g. `{ kid: 'unknown' }`). */
  header?: Record<string, unknown>;
  /** Sign with this key instead of the realm's current one (e.g. a key the realm never published). */
  key?: RealmKey;
}

export interface AccessTokenInput extends SigningInput {
  /** The client the token was issued to (`azp`). */
  clientId: string;
  /** The user (`sub`). Default TEST_USER_ID. Absent from lightweight tokens. */
  sub?: string;
  /** The Keycloak user-session id (`sid`), the one a logout names. Absent when not given. */
  sid?: string;
  /** Realm roles, written to `realm_access.roles`. No `realm_access` when not given. */
  realmRoles?: string[];
  /** Client roles by client id, written to `resource_access[client].roles`. No `resource_access` when not given. */
  clientRoles?: Record<string, string[]>;
  /** The space-separated `scope` claim. Default `openid profile email`. */
  scope?: string;
  /**
   * Keycloak's "Always use lightweight access token": no `sub`, no `aud` (docs/keycloak-protocol.md
   * §6). Roles given here are still written, as a mapper with "Add to lightweight access token" would.
   */
  lightweight?: boolean;
  /** Issued at, in seconds. Default now. */
  iat?: number;
  /** Expiry, in seconds. Default `iat` + 300 (Keycloak's default access token lifespan). */
  exp?: number;
}

export interface IdTokenInput extends SigningInput {
  clientId: string;
  /** Default TEST_USER_ID. */
  sub?: string;
  sid?: string;
  nonce?: string;
  iat?: number;
  /** Default `iat` + 300. */
  exp?: number;
}

export interface LogoutTokenInput extends SigningInput {
  /** The client the logout is for (`aud`, a single string as Keycloak writes it). */
  clientId: string;
  /** Default TEST_USER_ID: Keycloak always sends `sub`. */
  sub?: string;
  /** Sent only with the client's "Backchannel logout session required" ON; absent when not given. */
  sid?: string;
  iat?: number;
  /** The client's "Backchannel logout revoke offline sessions" switch. */
  revokeOfflineAccess?: boolean;
  /**
   * The Keycloak version whose shape to send. Default 26. Up to 24 the header `typ` is `JWT`
   * (`logout+jwt` since 25); before 24 there is no `exp` (as on 22.0.x/23.0.x before their backports).
   */
  keycloakVersion?: number;
}

/** Applies `claims` overrides; `undefined` removes a claim. */
function withOverrides(payload: Record<string, unknown>, claims: Record<string, unknown> = {}): Record<string, unknown> {
  const out: Record<string, unknown> = { ...payload, ...claims };
  for (const [name, value] of Object.entries(claims)) if (value === undefined) delete out[name];
  return out;
}

/**
 * An access token as Keycloak's TokenManager.initToken writes it: `aud` "account", `azp` the
 * client, payload `typ` "Bearer", `sid` the user session, roles in `realm_access` and
 * `resource_access`, header `typ` "JWT".
 */
export function keycloakAccessToken(realm: KeycloakTokenSigner, input: AccessTokenInput): Promise<string> {
  const iat = input.iat ?? nowSeconds();
  const lightweight = input.lightweight === true;
  const payload: Record<string, unknown> = {
    exp: input.exp ?? iat + 300,
    iat,
    jti: randomUUID(),
    iss: realm.issuer,
    ...(lightweight ? {} : { aud: 'account', sub: input.sub ?? TEST_USER_ID }),
    typ: 'Bearer',
    azp: input.clientId,
    ...(input.sid !== undefined ? { sid: input.sid } : {}),
    ...(input.realmRoles !== undefined ? { realm_access: { roles: [...input.realmRoles] } } : {}),
    ...(input.clientRoles !== undefined
      ? { resource_access: Object.fromEntries(Object.entries(input.clientRoles).map(([client, roles]) => [client, { roles: [...roles] }])) }
      : {}),
    scope: input.scope ?? 'openid profile email',
  };
  return realm.sign(withOverrides(payload, input.claims), input.header, input.key);
}

/** An ID token as Keycloak's TokenManager.generateIDToken writes it: `aud` the client, payload `typ` "ID", `sid`. */
export function keycloakIdToken(realm: KeycloakTokenSigner, input: IdTokenInput): Promise<string> {
  const iat = input.iat ?? nowSeconds();
  const payload: Record<string, unknown> = {
    exp: input.exp ?? iat + 300,
    iat,
    auth_time: iat,
    jti: randomUUID(),
    iss: realm.issuer,
    aud: input.clientId,
    sub: input.sub ?? TEST_USER_ID,
    typ: 'ID',
    azp: input.clientId,
    ...(input.nonce !== undefined ? { nonce: input.nonce } : {}),
    ...(input.sid !== undefined ? { sid: input.sid } : {}),
    acr: '1',
  };
  return realm.sign(withOverrides(payload, input.claims), input.header, input.key);
}

/**
 * A back-channel logout token in the order and shape of Keycloak's
 * DefaultTokenManager.initLogoutToken (docs/keycloak-protocol.md §1.3): jti, exp (iat + 120), iat,
 * iss, aud as one string, sub, payload `typ` "Logout", sid, events (with revoke_offline_access
 * inside when asked); never nonce, azp or nbf. Header `typ` "logout+jwt" (Keycloak ≥ 25).
 */
export function keycloakLogoutToken(realm: KeycloakTokenSigner, input: LogoutTokenInput): Promise<string> {
  const version = input.keycloakVersion ?? 26;
  const iat = input.iat ?? nowSeconds();
  const events: Record<string, unknown> = { [BACKCHANNEL_LOGOUT_EVENT]: {} };
  if (input.revokeOfflineAccess) events.revoke_offline_access = true;
  const payload: Record<string, unknown> = {
    jti: randomUUID(),
    ...(version >= 24 ? { exp: iat + 120 } : {}),
    iat,
    iss: realm.issuer,
    aud: input.clientId,
    sub: input.sub ?? TEST_USER_ID,
    typ: 'Logout',
    ...(input.sid !== undefined ? { sid: input.sid } : {}),
    events,
  };
  const header = { typ: version >= 25 ? 'logout+jwt' : 'JWT', ...input.header };
  return realm.sign(withOverrides(payload, input.claims), header, input.key);
}
