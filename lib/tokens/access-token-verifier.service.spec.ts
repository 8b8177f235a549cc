import { describe, expect, it } from 'vitest';
import { TokenInvalidError } from '../errors/token-invalid.error.js';
import { answerFor } from '../http/error-answers.js';
import type { ResolvedKeycloakLogoutOptions } from '../options/keycloak-logout-options.interface.js';
import type { JwsVerifierService } from './jws-verifier.service.js';
import { AccessTokenVerifierService } from './access-token-verifier.service.js';

const TAIL = 'T'.repeat(40);

/** A verifier whose signature check accepts tokens starting with "good" and counts its calls. */
function setup(cacheSize = 10, cacheMaxAge?: number) {
  const calls: string[] = [];
  const jws = {
    verifyJwt: (token: string) => {
      calls.push(token);
      if (!token.startsWith('good')) return Promise.reject(new TokenInvalidError('signature', 'access token signature is invalid'));
      const now = Math.floor(Date.now() / 1000);
      const exp = token.includes('expiring') ? now - 60 : now + 300;
      return Promise.resolve({ payload: { iss: 'iss', iat: now, exp, sub: token.slice(0, 12), azp: 'app' }, header: { alg: 'RS256', typ: 'JWT' } });
    },
  } as unknown as JwsVerifierService;
  const options = { clientId: 'app', clockTolerance: 5, bearer: { audience: undefined, cacheSize, cacheMaxAge } } as unknown as ResolvedKeycloakLogoutOptions;
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

  it('after a hit, a token with the same key (same last characters) is not answered from that hit', async () => {
    const { verifier, calls } = setup();
    await verifier.verify(`good-alice.${TAIL}`);
    // A hit: the cache remembers it as the last query.
    expect(verifier.cachedToken(['good-alice.', TAIL].join(''))?.claims.sub).toBe('good-alice.T');
    expect(verifier.cachedToken(`forged-bob.${TAIL}`)).toBeUndefined();
    await expect(verifier.verify(`forged-bob.${TAIL}`)).rejects.toThrow(TokenInvalidError);
    expect(calls).toEqual([`good-alice.${TAIL}`, `forged-bob.${TAIL}`]);
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

  it('answers a cached token synchronously, and nothing else', async () => {
    const { verifier, calls } = setup();
    expect(verifier.cached(`good-alice.${TAIL}`)).toBeUndefined();
    expect(verifier.isCached(`good-alice.${TAIL}`)).toBe(false);
    const claims = await verifier.verify(`good-alice.${TAIL}`);
    expect(verifier.isCached(['good-alice.', TAIL].join(''))).toBe(true);
    expect(verifier.cached(['good-alice.', TAIL].join(''))).toBe(claims);
    // Same tail, same length, another token: never the cached entry.
    expect(verifier.isCached(`good-alicf.${TAIL}`)).toBe(false);
    expect(verifier.cached(`good-alicf.${TAIL}`)).toBeUndefined();
    expect(calls).toHaveLength(1);
  });

  it('throws synchronously for a cached token that has expired, and forgets it', async () => {
    const { verifier } = setup();
    await verifier.verify(`good-expiring.${TAIL}`);
    expect(() => verifier.cached(`good-expiring.${TAIL}`)).toThrow('access token has expired');
    expect(verifier.isCached(`good-expiring.${TAIL}`)).toBe(false);
  });

  it('does not report a token as cached once it has been evicted, even right after asking about it', async () => {
    const { verifier } = setup(1);
    const first = `good-a.${'a'.repeat(40)}`;
    await verifier.verify(first);
    expect(verifier.isCached(first)).toBe(true); // remembered as the last answer
    await verifier.verify(`good-b.${'b'.repeat(40)}`); // evicts the first
    expect(verifier.isCached(first)).toBe(false);
    expect(verifier.cached(first)).toBeUndefined();
  });

  it('gives a verified token with its revocation subject, one frozen object per token, also uncached', async () => {
    const { verifier } = setup();
    expect(verifier.cachedToken(`good-alice.${TAIL}`)).toBeUndefined();
    const verified = await verifier.verifyToken(`good-alice.${TAIL}`);
    expect(verified.subject).toEqual({ sid: undefined, sub: 'good-alice.T', iat: verified.claims.iat });
    expect(Object.isFrozen(verified.subject)).toBe(true);
    expect(verifier.cachedToken(['good-alice.', TAIL].join(''))).toBe(verified);
    expect(await verifier.verifyToken(`good-alice.${TAIL}`)).toBe(verified);
    const uncached = setup(0).verifier;
    expect((await uncached.verifyToken(`good-bob.${TAIL}`)).subject.sub).toBe('good-bob.TTT');
    expect(uncached.cachedToken(`good-bob.${TAIL}`)).toBeUndefined();
  });

  it('judges expiry at the clock reading a caller passes to cachedToken', async () => {
    const { verifier } = setup();
    const verified = await verifier.verifyToken(`good-alice.${TAIL}`);
    expect(verifier.cachedToken(`good-alice.${TAIL}`, Date.now())).toBe(verified);
    const afterExpiry = (verified.claims.exp + 3600) * 1000;
    expect(() => verifier.cachedToken(`good-alice.${TAIL}`, afterExpiry)).toThrow('access token has expired');
    // Forgotten once found expired.
    expect(verifier.cachedToken(`good-alice.${TAIL}`)).toBeUndefined();
  });

  it('finds a token by the header it was verified from, that very value only', async () => {
    const { verifier, calls } = setup();
    const header = `Bearer good-alice.${TAIL}`;
    const verified = await verifier.verifyToken(`good-alice.${TAIL}`, header);
    // An equal, separate string: what the HTTP parser makes of the next request.
    expect(verifier.cachedCredential(['Bearer good-alice.', TAIL].join(''))).toBe(verified);
    // Another header yielding the same token, or one ending alike, is not matched whole (the guard then reads the token out of it).
    expect(verifier.cachedCredential(`bearer  good-alice.${TAIL}`)).toBeUndefined();
    expect(verifier.cachedCredential(`Bearer forged-bob.${TAIL}`)).toBeUndefined();
    expect(verifier.cachedToken(`good-alice.${TAIL}`)).toBe(verified);
    expect(calls).toHaveLength(1);
  });

  it('finds nothing by header for a token verified without one, or with a header that does not end with it', async () => {
    const { verifier } = setup();
    await verifier.verifyToken(`good-alice.${TAIL}`);
    expect(verifier.cachedCredential(`Bearer good-alice.${TAIL}`)).toBeUndefined();
    expect(verifier.cachedToken(`good-alice.${TAIL}`)).toBeDefined();
    // Same last characters, so the same cache key: kept, it would answer for Carol's token.
    await verifier.verifyToken(`good-carol.${TAIL}`, `Bearer forged-bob.${TAIL}`);
    expect(verifier.cachedCredential(`Bearer forged-bob.${TAIL}`)).toBeUndefined();
  });

  it('refuses by header a token expired at the clock reading passed, and forgets it', async () => {
    const { verifier } = setup();
    const header = `Bearer good-alice.${TAIL}`;
    const verified = await verifier.verifyToken(`good-alice.${TAIL}`, header);
    expect(verifier.cachedCredential(header, Date.now())).toBe(verified);
    expect(() => verifier.cachedCredential(header, (verified.claims.exp + 3600) * 1000)).toThrow('access token has expired');
    expect(verifier.cachedCredential(header)).toBeUndefined();
    expect(verifier.cachedToken(`good-alice.${TAIL}`)).toBeUndefined();
  });

  it('rechecks a token a caller holds without a lookup, even once evicted; refuses and forgets it once expired', async () => {
    const { verifier } = setup(1);
    const verified = await verifier.verifyToken(`good-alice.${TAIL}`);
    await verifier.verifyToken(`good-bob00.${'b'.repeat(40)}`); // evicts Alice's from the cache
    expect(verifier.cachedToken(`good-alice.${TAIL}`)).toBeUndefined();
    expect(verifier.recheck(verified, Date.now())).toBe(verified);
    const bob = verifier.cachedToken(`good-bob00.${'b'.repeat(40)}`)!;
    expect(() => verifier.recheck(bob, (bob.claims.exp + 3600) * 1000)).toThrow('access token has expired');
    expect(verifier.cachedToken(`good-bob00.${'b'.repeat(40)}`)).toBeUndefined();
  });

  it('rechecks nothing with cacheSize 0 (every call verifies), nor a token it did not verify', async () => {
    const uncached = setup(0).verifier;
    expect(uncached.recheck(await uncached.verifyToken(`good-alice.${TAIL}`))).toBeUndefined();
    const { verifier } = setup();
    const claims = (await verifier.verifyToken(`good-alice.${TAIL}`)).claims;
    expect(verifier.recheck({ claims, subject: { sub: claims.sub } })).toBeUndefined();
  });

  it('verifies a token again once it has been cached for bearer.cacheMaxAge, however far off its exp', async () => {
    const { verifier, calls } = setup(10, 60_000);
    const header = `Bearer good-alice.${TAIL}`;
    const verified = await verifier.verifyToken(`good-alice.${TAIL}`, header);
    const now = Date.now();
    // Within the age: answered from the cache, by the token, its header, or held.
    expect(verifier.cachedToken(`good-alice.${TAIL}`, now + 50_000)).toBe(verified);
    expect(verifier.cachedCredential(header, now + 50_000)).toBe(verified);
    expect(verifier.recheck(verified, now + 50_000)).toBe(verified);
    // Past it, with the token still 4 minutes from its exp: a miss (verify again), not a refusal.
    expect(verifier.recheck(verified, now + 61_000)).toBeUndefined();
    expect(verifier.cachedToken(`good-alice.${TAIL}`, now + 61_000)).toBeUndefined();
    expect(verifier.cachedCredential(header, now)).toBeUndefined();
    expect(calls).toHaveLength(1);
    const again = await verifier.verifyToken(`good-alice.${TAIL}`, header);
    expect(again).not.toBe(verified);
    expect(calls).toHaveLength(2);
    expect(verifier.cachedCredential(header)).toBe(again);
  });

  it('throws synchronously from cachedToken for a cached token that has expired', async () => {
    const { verifier } = setup();
    await verifier.verifyToken(`good-expiring.${TAIL}`);
    expect(() => verifier.cachedToken(`good-expiring.${TAIL}`)).toThrow('access token has expired');
    expect(verifier.cachedToken(`good-expiring.${TAIL}`)).toBeUndefined();
  });
});

/** A verifier whose signature check accepts any token and returns these claims and header. */
function verifierReturning(claims: Record<string, unknown>, header: Record<string, unknown> = { alg: 'RS256', typ: 'JWT' }) {
  const now = Math.floor(Date.now() / 1000);
  const payload = { iss: 'iss', iat: now, exp: now + 300, sub: 'alice', azp: 'app', ...claims };
  const jws = { verifyJwt: () => Promise.resolve({ payload, header }) } as unknown as JwsVerifierService;
  const options = { clientId: 'app', clockTolerance: 5, bearer: { audience: undefined, cacheSize: 10 } } as unknown as ResolvedKeycloakLogoutOptions;
  return new AccessTokenVerifierService(options, jws);
}

/** The refusal a verification ends with: a 401 invalid_token TokenInvalidError. */
async function refusalOf(verifier: AccessTokenVerifierService): Promise<TokenInvalidError> {
  const error = await verifier.verify(`token.${TAIL}`).then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(TokenInvalidError);
  const refusal = error as TokenInvalidError;
  // What the guard answers with it.
  expect(answerFor(refusal, 'guard')).toMatchObject({ status: 401, body: { error: 'invalid_token' } });
  return refusal;
}

describe('AccessTokenVerifierService token kinds', () => {
  it.each(['Bearer', 'bearer', 'BEARER'])('accepts payload typ %j (Keycloak 26 may write it lower case)', async (typ) => {
    await expect(verifierReturning({ typ }).verify(`token.${TAIL}`)).resolves.toMatchObject({ typ });
  });

  it.each(['at+jwt', 'application/at+jwt', 'AT+JWT', 'JWT'])('accepts header typ %j', async (typ) => {
    await expect(verifierReturning({ typ: 'Bearer' }, { alg: 'RS256', typ }).verify(`token.${TAIL}`)).resolves.toBeDefined();
  });

  it('accepts a token with neither payload typ nor header typ (RFC 9068 from another OP)', async () => {
    await expect(verifierReturning({}, { alg: 'RS256' }).verify(`token.${TAIL}`)).resolves.toBeDefined();
  });

  it('accepts a Keycloak 24 access token that carries the login nonce (typ "Bearer")', async () => {
    await expect(verifierReturning({ typ: 'Bearer', nonce: 'n-0S6_WzA2Mj' }).verify(`token.${TAIL}`)).resolves.toBeDefined();
  });

  it.each([
    ['payload typ "DPoP"', { typ: 'DPoP' }],
    ['payload typ "dpop"', { typ: 'dpop' }],
    ['cnf.jkt with typ "Bearer"', { typ: 'Bearer', cnf: { jkt: '0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I' } }],
    ['cnf.jkt without typ', { cnf: { jkt: '0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I' } }],
  ])('refuses a DPoP-bound token (%s), saying DPoP is not supported', async (_name, claims) => {
    expect((await refusalOf(verifierReturning(claims))).message).toMatch(/DPoP-bound access tokens are not supported/);
  });

  it.each([
    ['nonce', { nonce: 'n-0S6_WzA2Mj' }],
    ['at_hash', { at_hash: 'HK6E_P6Dh8Y93mRNtsDB1Q' }],
    ['c_hash', { c_hash: 'LDktKdoQak3Pk0cnXxCltA' }],
  ])('refuses an ID token without typ that carries %s', async (claim, claims) => {
    const refusal = await refusalOf(verifierReturning({ aud: 'app', ...claims }));
    expect(refusal.message).toMatch(new RegExp(`"${claim}".*ID token`));
  });

  it.each(['at_hash', 'c_hash'])('refuses %s even beside typ "Bearer" (Keycloak never puts it in an access token)', async (claim) => {
    const refusal = await refusalOf(verifierReturning({ typ: 'Bearer', [claim]: 'HK6E_P6Dh8Y93mRNtsDB1Q' }));
    expect(refusal.message).toMatch(/ID token/);
  });

  it.each(['ID', 'Refresh', 'Offline', 'Logout', 'id'])('refuses payload typ %j', async (typ) => {
    expect((await refusalOf(verifierReturning({ typ }))).message).toMatch(/"typ" claim is not "Bearer"/);
  });

  it('refuses a non-string payload typ', async () => {
    expect((await refusalOf(verifierReturning({ typ: ['Bearer'] }))).message).toMatch(/"typ" claim is not "Bearer"/);
  });

  it.each(['JWT+ID', 'logout+jwt', 'dpop+jwt'])('refuses header typ %j', async (typ) => {
    expect((await refusalOf(verifierReturning({ typ: 'Bearer' }, { alg: 'RS256', typ }))).message).toMatch(/"typ" header/);
  });

  it('never puts the token or a claim value in a refusal', async () => {
    const secret = 'n-SECRET-VALUE-1234';
    const refusal = await refusalOf(verifierReturning({ typ: secret }));
    expect(refusal.message).not.toContain(secret);
    expect(refusal.message).not.toContain(TAIL);
  });

  it('does not cache a refusal: the same token is verified again', async () => {
    let calls = 0;
    const now = Math.floor(Date.now() / 1000);
    const jws = {
      verifyJwt: () => {
        calls += 1;
        return Promise.resolve({ payload: { iss: 'iss', iat: now, exp: now + 300, azp: 'app', typ: 'DPoP' }, header: { alg: 'RS256' } });
      },
    } as unknown as JwsVerifierService;
    const options = { clientId: 'app', clockTolerance: 5, bearer: { audience: undefined, cacheSize: 10 } } as unknown as ResolvedKeycloakLogoutOptions;
    const verifier = new AccessTokenVerifierService(options, jws);
    await expect(verifier.verify(`token.${TAIL}`)).rejects.toThrow(/DPoP/);
    await expect(verifier.verify(`token.${TAIL}`)).rejects.toThrow(/DPoP/);
    expect(calls).toBe(2);
  });
});
