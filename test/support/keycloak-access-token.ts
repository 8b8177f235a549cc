import { randomUUID } from 'node:crypto';
import { nowSeconds } from './clock.js';
import type { FakeRealm } from './fake-realm.js';

/**
 * An access token shaped like Keycloak's (TokenManager.initToken): aud "account", azp the
 * client, typ "Bearer", sid the user session, 5-minute lifetime.
 */
export function keycloakAccessToken(
  realm: FakeRealm,
  input: { clientId: string; sub: string; sid?: string; iat?: number; exp?: number; extra?: Record<string, unknown> },
  header: Record<string, unknown> = {},
): Promise<string> {
  const iat = input.iat ?? nowSeconds();
  return realm.sign(
    {
      exp: input.exp ?? iat + 300,
      iat,
      jti: randomUUID(),
      iss: realm.issuer,
      aud: 'account',
      sub: input.sub,
      typ: 'Bearer',
      azp: input.clientId,
      ...(input.sid !== undefined ? { sid: input.sid } : {}),
      scope: 'openid profile email',
      ...input.extra,
    },
    header,
  );
}
