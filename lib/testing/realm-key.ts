import { randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';

/** One signing key of a test realm: the private half signs, the public JWK is published. */
export interface RealmKey {
  kid: string;
  alg: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

/**
 * A new key pair for a realm (RS256 unless told otherwise). Keycloak's key ids are opaque
 * strings; a random one is used when none is given.
 */
export async function createRealmKey(kid: string = randomBytes(16).toString('base64url'), alg = 'RS256'): Promise<RealmKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { kid, alg, privateKey, publicJwk };
}
