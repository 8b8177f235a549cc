import { TokenInvalidError } from '../errors/token-invalid.error.js';
import type { AccessTokenClaims } from './access-token-claims.interface.js';

/** How many of the token's last characters (inside its signature) make the cache key. */
const KEY_CHARS = 6;

/**
 * The cache key: the token's last characters packed into a small integer. A hit then costs
 * neither hashing the whole token (about 1 KB for a Keycloak RS256 access token, a fresh string
 * on every request) nor allocating a substring; the whole token is still compared on every hit,
 * so two tokens with equal keys are told apart (the newer one replaces the older entry).
 */
function keyOf(token: string): number {
  let key = 0;
  for (let i = Math.max(0, token.length - KEY_CHARS); i < token.length; i++) {
    // 30 bits: a small integer for V8 on every platform, never a heap number.
    key = (Math.imul(key, 31) + token.charCodeAt(i)) & 0x3fffffff;
  }
  return key;
}

interface Entry {
  token: string;
  claims: AccessTokenClaims;
}

/**
 * Access tokens verified before, until they expire, at most `capacity` (oldest evicted first).
 * Only the outcome of verification is kept, never a revocation decision.
 */
export class VerifiedTokenCache {
  private readonly entries = new Map<number, Entry>();
  /**
   * The last hit and the very string it was asked about: the guard asks `has` and then `claims`
   * about one token in the same synchronous call; the second answer then costs an identity
   * comparison instead of hashing and comparing ~1 KB again.
   */
  private lastQuery: string | undefined;
  private lastEntry: Entry | undefined;

  constructor(
    private readonly capacity: number,
    private readonly clockTolerance: number,
  ) {}

  /** Whether this exact token was verified (and not yet evicted), expired or not. */
  has(token: string): boolean {
    return this.lookup(token) !== undefined;
  }

  /** The claims of a token verified before; undefined when not cached; throws once it has expired. */
  claims(token: string): AccessTokenClaims | undefined {
    const entry = this.lookup(token);
    if (entry === undefined) return undefined;
    if (entry.claims.exp + this.clockTolerance > Date.now() / 1000) return entry.claims;
    this.entries.delete(keyOf(token));
    this.forgetLast();
    throw new TokenInvalidError('expired', 'access token has expired');
  }

  remember(token: string, claims: AccessTokenClaims): void {
    if (this.capacity === 0) return;
    const key = keyOf(token);
    this.forgetLast();
    // Re-inserted at the end: Map keeps insertion order, which the eviction below relies on.
    this.entries.delete(key);
    if (this.entries.size >= this.capacity) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(key, { token, claims });
  }

  private lookup(token: string): Entry | undefined {
    if (this.lastQuery === token) return this.lastEntry;
    const entry = this.entries.get(keyOf(token));
    // Another token with the same key is a miss: verified in full, then it replaces the entry.
    if (entry === undefined || entry.token !== token) return undefined;
    this.lastQuery = token;
    this.lastEntry = entry;
    return entry;
  }

  /** Called whenever an entry may leave the cache, so the last hit never outlives it. */
  private forgetLast(): void {
    this.lastQuery = undefined;
    this.lastEntry = undefined;
  }
}
