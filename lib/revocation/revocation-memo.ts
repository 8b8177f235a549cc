/**
 * Kept by a caller that checks one subject again and again (the bearer guard, for each cached
 * token): the RevocationStore version at which the subject was last found not revoked. While
 * the store's version stands, no revocation was applied since, so the answer stands too and the
 * maps need not be read again. Only "not revoked" is remembered, never a refusal; the revocation
 * horizon, which moves with the clock, is checked on every call regardless.
 */
export interface RevocationMemo {
  /** A store version (0: none yet; versions start at 1). */
  notRevokedAt: number;
  /**
   * Written with `notRevokedAt`: the epoch second after which the subject's `iat` falls beyond
   * the revocation horizon, or -1 when it has no `iat`. A repeat check then reads this object
   * alone, not the subject (under load a cached token's objects are out of the CPU's caches, and
   * each one read costs a trip to memory). Absent until the first check.
   */
  horizonEnd?: number;
}

/** A memo that matches no version yet. */
export function newRevocationMemo(): RevocationMemo {
  return { notRevokedAt: 0, horizonEnd: -1 };
}
