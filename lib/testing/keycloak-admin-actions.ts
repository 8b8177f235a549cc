/**
 * Keycloak's Admin URL actions (`k_logout`, `k_push_not_before`, `k_test_available`), serialized
 * like Keycloak's Jackson mapping of LogoutAction, PushNotBeforeAction and TestAvailabilityAction
 * (docs/keycloak-protocol.md §2.2-2.3): a JWS over JSON that is not a JWT claims set, header
 * `typ` "JWT" and `kid`, expiring 30 seconds after it was made. Null fields are omitted, as
 * Keycloak's NON_NULL serialization does.
 */
import { randomUUID } from 'node:crypto';
import type { SigningInput } from './keycloak-tokens.js';
import { nowSeconds, type KeycloakTokenSigner } from './token-signer.js';

export interface AdminActionInput extends Omit<SigningInput, 'claims'> {
  /** The client the action is for (`resource`). */
  clientId: string;
  /** Seconds until `expiration`. Default 30, as Keycloak. */
  expiresIn?: number;
  /** Fields to add or replace after the Keycloak shape is built; `undefined` removes one. */
  fields?: Record<string, unknown>;
}

export interface LogoutActionInput extends AdminActionInput {
  /** The app's own session ids (Keycloak's `client_session_state` notes); left out when not given. */
  adapterSessionIds?: string[];
  /** Keycloak user-session ids (the `sid` of tokens); left out when not given. */
  keycloakSessionIds?: string[];
  /** Tokens issued before this (seconds) are revoked. Default 0 with session ids; a "Sign out all" sends now. */
  notBefore?: number;
}

export interface PushNotBeforeActionInput extends AdminActionInput {
  /** Default now. */
  notBefore?: number;
}

function signAction(realm: KeycloakTokenSigner, action: string, body: Record<string, unknown>, input: AdminActionInput): Promise<string> {
  const payload: Record<string, unknown> = {
    id: randomUUID(),
    expiration: nowSeconds() + (input.expiresIn ?? 30),
    resource: input.clientId,
    action,
    ...body,
    ...input.fields,
  };
  for (const [name, value] of Object.entries(input.fields ?? {})) if (value === undefined) delete payload[name];
  return realm.signRaw(JSON.stringify(payload), input.header, input.key);
}

/**
 * A `LOGOUT` action. With session ids it ends those sessions (Keycloak's single-session logout);
 * without, it is "Sign out all active sessions": every token issued before `notBefore` is revoked.
 */
export function keycloakLogoutAction(realm: KeycloakTokenSigner, input: LogoutActionInput): Promise<string> {
  const namesSessions = input.adapterSessionIds !== undefined || input.keycloakSessionIds !== undefined;
  return signAction(
    realm,
    'LOGOUT',
    {
      ...(input.adapterSessionIds !== undefined ? { adapterSessionIds: input.adapterSessionIds } : {}),
      notBefore: input.notBefore ?? (namesSessions ? 0 : nowSeconds()),
      ...(input.keycloakSessionIds !== undefined ? { keycloakSessionIds: input.keycloakSessionIds } : {}),
    },
    input,
  );
}

/** A `PUSH_NOT_BEFORE` action (the client's "Push" of a revocation not-before). */
export function keycloakPushNotBeforeAction(realm: KeycloakTokenSigner, input: PushNotBeforeActionInput): Promise<string> {
  return signAction(realm, 'PUSH_NOT_BEFORE', { notBefore: input.notBefore ?? nowSeconds() }, input);
}

/** A `TEST_AVAILABILITY` action (the admin console's "Test availability"). */
export function keycloakTestAvailabilityAction(realm: KeycloakTokenSigner, input: AdminActionInput): Promise<string> {
  return signAction(realm, 'TEST_AVAILABILITY', {}, input);
}
