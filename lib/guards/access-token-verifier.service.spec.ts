import { describe, expect, it } from 'vitest';
import { TokenInvalidError } from '../errors/token-invalid.error.js';
import type { ResolvedKeycloakLogoutOptions } from '../options/keycloak-logout-options.interface.js';
import type { JwsVerifierService } from '../oidc/jws-verifier.service.js';
import { AccessTokenVerifierService } from './access-token-verifier.service.js';

const TAIL = 'T'.repeat(40);

/** A verifier whose signature check accepts tokens starting with "good" and counts its calls. */
function setup(cacheSize = 10) {
  const calls: string[] = [];
  const jws = {
    verifyJwt: (token: string) => {
      calls.push(token);
      if (!token.startsWith('good')) return Promise.reject(new TokenInvalidError('access token signature is invalid', { status: 401, error: 'invalid_token' }));
      const now = Math.floor(Date.now() / 1000);
      const exp = token.includes('expiring') ? now - 60 : now + 300;
      return Promise.resolve({ payload: { iss: 'iss', iat: now, exp, sub: token.slice(0, 12), azp: 'app' }, header: { alg: 'RS256', typ: 'JWT' } });
    },
  } as unknown as JwsVerifierService;
  const options = { clientId: 'app', clockTolerance: 5, bearer: { audience: undefined, cacheSize } } as unknown as ResolvedKeycloakLogoutOptions;
  return { verifier: new AccessTokenVerifierService(options, jws), calls };
}

describe('AccessTokenVerifierService cache', () => {
  it('verifies a token once and serves it from the cache afterwards', async () => {
    const { verifier, calls } = setup();
    const first = await verifier.verify(`good-alice.${TAIL}`);
    const again = await verifier.verify(['good-alice.', TAIL].join('')); // an equal, separate string
    expect(again).toBe(first);
    expect(calls).toHaveLength(1);
  });

  it('never answers a token from the cache entry of another token that ends the same way', async () => {
    const { verifier, calls } = setup();
    await verifier.verify(`good-alice.${TAIL}`);
    await expect(verifier.verify(`forged-bob.${TAIL}`)).rejects.toThrow(TokenInvalidError);
    const bob = await verifier.verify(`good-bob00.${TAIL}`);
    expect(bob.sub).toBe('good-bob00.T');
    expect(calls).toEqual([`good-alice.${TAIL}`, `forged-bob.${TAIL}`, `good-bob00.${TAIL}`]);
  });

  it('refuses a cached token once it has expired', async () => {
    const { verifier } = setup();
    // The stand-in signature check ignores `exp`, so the first call caches it; the cache hit refuses it.
    await expect(verifier.verify(`good-expiring.${TAIL}`)).resolves.toBeDefined();
    await expect(verifier.verify(`good-expiring.${TAIL}`)).rejects.toThrow('access token has expired');
  });

  it('keeps at most cacheSize tokens, evicting the oldest', async () => {
    const { verifier, calls } = setup(2);
    for (const name of ['a', 'b', 'c']) await verifier.verify(`good-${name}.${name.repeat(40)}`);
    await verifier.verify(`good-c.${'c'.repeat(40)}`);
    await verifier.verify(`good-a.${'a'.repeat(40)}`);
    expect(calls).toHaveLength(4);
  });

  it('caches nothing with cacheSize 0', async () => {
    const { verifier, calls } = setup(0);
    await verifier.verify(`good-alice.${TAIL}`);
    await verifier.verify(`good-alice.${TAIL}`);
    expect(calls).toHaveLength(2);
  });
});
