import { describe, expect, it } from 'vitest';
import { bearerCandidate, bearerToken, isB64Token, isDPoPScheme } from './bearer-credentials.js';

/** The regular expressions the guard used before the prefix test: the reference for every case. */
const FORMER_BEARER = /^Bearer +([A-Za-z0-9._~+/-]+=*) *$/i;
const FORMER_TOKEN = /^[A-Za-z0-9._~+/-]+=*$/;
const FORMER_DPOP = /^DPoP(?: |$)/i;

/** Deterministic pseudo-random strings over the characters that matter here (xorshift32). */
function* samples(count: number): Generator<string> {
  const alphabet = ['B', 'b', 'e', 'E', 'a', 'r', 'R', 'D', 'P', 'p', 'o', 'O', ' ', ' ', '\t', '=', '.', '-', '_', '~', '+', '/', 'x', '9', '$', ',', 'é', '\u0142', '"'];
  let state = 0x9e3779b9;
  const next = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return state >>> 0;
  };
  const prefixes = ['', 'Bearer ', 'bearer  ', 'BEARER', 'Bearer', 'DPoP', 'dpop ', 'Bearer\t', 'Beare '];
  for (let i = 0; i < count; i++) {
    let value = prefixes[next() % prefixes.length]!;
    const length = next() % 12;
    for (let j = 0; j < length; j++) value += alphabet[next() % alphabet.length];
    yield value;
  }
}

describe('bearer credentials without a regular expression', () => {
  it.each([
    ['Bearer abc', 'abc'],
    ['bearer  abc', 'abc'],
    ['BeArEr abc==', 'abc=='],
    ['Bearer abc   ', 'abc'],
    ['Bearer a.b-c_d~e+f/g', 'a.b-c_d~e+f/g'],
  ])('reads the token of %j', (value, token) => {
    expect(bearerToken(value)).toBe(token);
  });

  it.each(['Bearer', 'Bearer ', 'Bearer   ', 'Bearer\tabc', 'Bearerabc', 'Bearer a b', 'Bearer ==', 'Bearer a=b', 'Bearer a$b', 'Bearer é', 'Basic abc', ' Bearer abc', 'Bearer\u00a0abc'])(
    'finds no token in %j',
    (value) => {
      expect(bearerToken(value)).toBeUndefined();
    },
  );

  it('leaves the characters of a candidate to isB64Token', () => {
    expect(bearerCandidate('Bearer a$b')).toBe('a$b');
    expect(isB64Token('a$b')).toBe(false);
    expect(bearerCandidate('Bearer a b ')).toBe('a b');
    expect(isB64Token('a b')).toBe(false);
    expect(bearerCandidate('Bearer   ')).toBeUndefined();
  });

  it('agrees with the former regular expressions on 20,000 generated values', () => {
    let tokens = 0;
    const disagreements: string[] = [];
    for (const value of samples(20_000)) {
      const token = bearerToken(value);
      if (token !== FORMER_BEARER.exec(value)?.[1]) disagreements.push(`bearerToken(${JSON.stringify(value)})`);
      if (isB64Token(value) !== FORMER_TOKEN.test(value)) disagreements.push(`isB64Token(${JSON.stringify(value)})`);
      if (isDPoPScheme(value) !== FORMER_DPOP.test(value)) disagreements.push(`isDPoPScheme(${JSON.stringify(value)})`);
      if (token !== undefined) tokens++;
    }
    expect(disagreements).toEqual([]);
    // The generator reaches the accepting cases, not only refusals.
    expect(tokens).toBeGreaterThan(500);
  });

  it.each([
    ['DPoP abc', true],
    ['dpop', true],
    ['DPOP ', true],
    ['DPoPabc', false],
    ['DPo', false],
    ['Bearer abc', false],
  ])('tells the DPoP scheme in %j: %s', (value, expected) => {
    expect(isDPoPScheme(value)).toBe(expected);
  });
});
