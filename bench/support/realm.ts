import { importJWK, type CryptoKey, type JWK } from 'jose';
import { FakeRealm } from '../../test/support/fake-realm.js';
import { ChildServer } from './processes.js';

export const REALM = 'demo';
export const CLIENT_ID = 'bench-app';

/**
 * Starts the fake realm in its own process and returns it with a signer: a FakeRealm that
 * does not listen but holds the same issuer and key, so the test fixtures
 * (test/fixtures/*.ts) sign exactly the tokens the tests use.
 */
export async function startRealm(): Promise<{ server: ChildServer; signer: FakeRealm }> {
  const server = await ChildServer.start('realm', 'realm.js', {});
  const info = server.info as { issuer: string; kid: string; alg: string; publicJwk: JWK; privateJwk: JWK };
  const signer = new FakeRealm();
  signer.issuer = info.issuer;
  signer.keys.push({
    kid: info.kid,
    alg: info.alg,
    privateKey: (await importJWK(info.privateJwk, info.alg)) as CryptoKey,
    publicJwk: info.publicJwk,
  });
  return { server, signer };
}

/** Runs `make` for 0..count-1 with at most `parallel` in flight (signing runs on the thread pool). */
export async function inBatches<T>(count: number, make: (index: number) => Promise<T>, parallel = 64): Promise<T[]> {
  const out = new Array<T>(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(parallel, count) }, async () => {
      while (next < count) {
        const index = next++;
        out[index] = await make(index);
      }
    }),
  );
  return out;
}
