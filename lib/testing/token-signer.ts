import { CompactSign, SignJWT } from 'jose';
import type { RealmKey } from './realm-key.js';

/**
 * What the token builders need from a realm: its issuer and a way to sign. KeycloakTestRealm is
 * one; anything holding the same issuer and key (e.g. a realm served by another process) can be.
 */
export interface KeycloakTokenSigner {
  readonly issuer: string;
  /** Signs a JWT claims set. */
  sign(payload: Record<string, unknown>, header?: Record<string, unknown>, key?: RealmKey): Promise<string>;
  /** Signs raw JSON (Keycloak's admin actions are a JWS over JSON that is not a JWT claims set). */
  signRaw(payload: string, header?: Record<string, unknown>, key?: RealmKey): Promise<string>;
}

/** The JOSE header Keycloak's JWSBuilder writes: alg, typ, kid, in that order (docs/keycloak-protocol.md §1.4). */
function keycloakHeader(key: RealmKey, header: Record<string, unknown>): { alg: string } & Record<string, unknown> {
  return { alg: key.alg, typ: 'JWT', kid: key.kid, ...header };
}

export function signClaims(key: RealmKey, payload: Record<string, unknown>, header: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT(payload).setProtectedHeader(keycloakHeader(key, header)).sign(key.privateKey);
}

export function signBytes(key: RealmKey, payload: string, header: Record<string, unknown> = {}): Promise<string> {
  return new CompactSign(new TextEncoder().encode(payload)).setProtectedHeader(keycloakHeader(key, header)).sign(key.privateKey);
}

/** The current time as a JWT NumericDate (RFC 7519 §2). */
export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
