import { TokenInvalidError } from '../errors/token-invalid.error.js';
import type { RevocationSubject } from '../revocation/revocation.interface.js';
import type { RevocationMemo } from '../revocation/revocation-memo.js';
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

/** `value.endsWith(suffix)`, by V8's string comparison, which is many times faster than `endsWith` over ~1 KB. */
function endsWith(value: string, suffix: string): boolean {
  return value.length >= suffix.length && value.slice(value.length - suffix.length) === suffix;
}

/** A verified access token: its claims, and who it belongs to for the revocation check. */
export interface VerifiedAccessToken {
  readonly claims: AccessTokenClaims;
  /**
   * `sid`, `sub` and `iat` of the claims, made once when the token is verified, so that a guard
   * checking a cached token against revocations allocates nothing. Frozen: it is shared by
   * every call that brings the token. For a token of a further realm (the `realms` option) also
   * its realm's `issuer`, so that only that realm's revocations apply to it.
   */
  readonly subject: Readonly<RevocationSubject>;
  /**
   * The revocation check's memo for this token (RevocationService.revocationReason): one per
   * cached token, so that checking a token seen before costs a number comparison while no
   * logout arrived. Optional for verifiers of the app's own that do not keep one.
   */
  readonly revocationMemo?: RevocationMemo;
}

/**
 * A cached token. It is its own RevocationMemo, and its times are in whole seconds (a small
 * integer, where epoch milliseconds would be a separate heap number): a hit then reads this
 * object and the token's characters, and none of the claims, subject or memo objects. Under load,
 * with thousands of tokens in turn, each object read is a trip to memory (bench/RESULTS.md section 1).
 */
class Entry implements VerifiedAccessToken, RevocationMemo {
  notRevokedAt = 0;
  horizonEnd = -1;
  /** The value the token was read from when it was verified (see `remember`), if any. */
  credential: string | undefined = undefined;

  constructor(
    readonly token: string,
    /** Its cache key (keyOf). */
    readonly key: number,
    /** Until when it is accepted: `exp` plus the clock tolerance, epoch seconds. */
    readonly validUntil: number,
    /**
     * Until when it is answered from the cache, epoch seconds: validUntil, or earlier when the
     * cache's maximum age ends first (then it is verified again, see VerifiedTokenCache.usable).
     */
    readonly trustedUntil: number,
    readonly claims: AccessTokenClaims,
    readonly subject: Readonly<RevocationSubject>,
  ) {}

  get revocationMemo(): RevocationMemo {
    return this;
  }
}

/**
 * Access tokens verified before, until they expire, at most `capacity` (oldest evicted first),
 * each for at most `maxAge` ms: a token's `exp` is its issuer's to choose, and whoever held a
 * realm key could choose a distant one, so after that age a token is verified again against the
 * keys the realm publishes then. Only the outcome of verification is kept, with each token's
 * RevocationMemo (a "not revoked" valid until the next revocation is applied), never a refusal.
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
    private readonly maxAge: number = Number.POSITIVE_INFINITY,
  ) {}

  /** Whether this exact token was verified (and not yet evicted), expired or not. */
  has(token: string): boolean {
    return this.lookup(token) !== undefined;
  }

  /** The claims of a token verified before; undefined when not cached; throws once it has expired. */
  claims(token: string): AccessTokenClaims | undefined {
    return this.verified(token)?.claims;
  }

  /**
   * A token verified before, with its claims and subject; undefined when not cached (or due to be
   * verified again); throws once it has expired (at `now`, epoch ms).
   */
  verified(token: string, now: number = Date.now()): VerifiedAccessToken | undefined {
    const entry = this.lookup(token);
    return entry === undefined ? undefined : this.usable(entry, now);
  }

  /**
   * As `verified`, asked with the very value the token was read from at its verification (an
   * `Authorization` header, see `remember`): a hit then costs no reading of the token out of it,
   * only comparing the value with the one kept.
   */
  verifiedCredential(credential: string, now: number = Date.now()): VerifiedAccessToken | undefined {
    const entry = this.entries.get(keyOf(credential));
    return entry === undefined || entry.credential !== credential ? undefined : this.usable(entry, now);
  }

  /**
   * A verified token its caller holds (a WebSocket connection's, see the bearer guard), checked
   * again without looking it up: itself while it is valid at `now`; throws once it has expired.
   * Undefined when this cache does not keep tokens (capacity 0: every call verifies), for an
   * object this cache did not make, or once it is due to be verified again (`maxAge`). Eviction
   * does not end it: it only makes room in the cache.
   */
  recheck(verified: VerifiedAccessToken, now: number = Date.now()): VerifiedAccessToken | undefined {
    return this.capacity === 0 || !(verified instanceof Entry) ? undefined : this.usable(verified, now);
  }

  /**
   * Remembers a token that passed verification (unless the capacity is 0); returns it with its
   * subject. `issuer`: the realm key of a further realm's token; undefined for the primary realm.
   * `credential`: the value the token was read from (its `Authorization` header), when reading
   * that same value always yields this token; it is kept only when it ends with the token, so
   * that whoever brings it brings the whole verified token (checked once per verification).
   */
  remember(token: string, claims: AccessTokenClaims, issuer?: string, credential?: string): VerifiedAccessToken {
    const subject: RevocationSubject = Object.freeze(
      issuer === undefined ? { sid: claims.sid, sub: claims.sub, iat: claims.iat } : { sid: claims.sid, sub: claims.sub, iat: claims.iat, issuer },
    );
    const validUntil = claims.exp + this.clockTolerance;
    // Floored: an entry is never trusted longer than maxAge.
    const trustedUntil = Math.min(validUntil, Math.floor((Date.now() + this.maxAge) / 1000));
    const entry = new Entry(token, keyOf(token), validUntil, trustedUntil, claims, subject);
    if (this.capacity === 0) return entry;
    if (credential !== undefined && endsWith(credential, token)) entry.credential = credential;
    this.forgetLast();
    // Re-inserted at the end: Map keeps insertion order, which the eviction below relies on.
    this.entries.delete(entry.key);
    if (this.entries.size >= this.capacity) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(entry.key, entry);
    return entry;
  }

  /**
   * The entry while it is trusted at `now` (epoch ms). Past that it leaves the cache (if still
   * there): expired, this throws; only due to be verified again (maxAge), it answers undefined,
   * a miss, so the caller verifies the token again.
   */
  private usable(entry: Entry, now: number): Entry | undefined {
    if (entry.trustedUntil * 1000 > now) return entry;
    if (this.entries.get(entry.key) === entry) this.entries.delete(entry.key);
    this.forgetLast();
    if (entry.validUntil * 1000 > now) return undefined;
    throw new TokenInvalidError('expired', 'access token has expired');
  }

  private lookup(token: string): Entry | undefined {
    const key = keyOf(token);
    // The key first: two different tokens of one realm share a long prefix, so comparing the
    // whole strings would read hundreds of characters before telling them apart.
    if (key === this.lastEntry?.key && this.lastQuery === token) return this.lastEntry;
    const entry = this.entries.get(key);
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
