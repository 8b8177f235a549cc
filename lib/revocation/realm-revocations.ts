import type { Revocation, RevocationReason, RevocationSubject } from './revocation.interface.js';

/**
 * A revocation's `expiresAt` (epoch ms) as the maps keep it: whole seconds, rounded up, so an
 * entry lasts at most a second longer, never shorter. Epoch seconds are a small integer, which
 * V8 stores in the map itself; epoch milliseconds would be a heap number per entry (16 bytes
 * more for each revoked session, and more for the collector to trace at a catch-up of a million).
 */
function expirySeconds(expiresAt: number): number {
  return Math.ceil(expiresAt / 1000);
}

/** Whether an expiry kept by expirySeconds is still ahead of `now` (epoch ms). */
function ahead(expiresAtSeconds: number, now: number): boolean {
  return expiresAtSeconds * 1000 > now;
}

/**
 * The revocations of one realm: its sids, app sessions, per-user watermarks and not-before.
 * Ids are only unique within their realm (two realms may hand out the same `sid` or `sub`), so
 * each realm keeps its own maps and a revocation only ever lands in the maps of its realm.
 * Expiries are kept in whole seconds (expirySeconds).
 */
export class RealmRevocations {
  private readonly sids = new Map<string, number>();
  private readonly adapterSessions = new Map<string, number>();
  private readonly subjects = new Map<string, { issuedBefore: number; expiresAt: number }>();
  notBefore = 0;

  /** Applies a revocation of this realm; false when it adds nothing (already known). */
  apply(revocation: Revocation): boolean {
    switch (revocation.type) {
      case 'sid':
        return this.extend(this.sids, revocation.sid, expirySeconds(revocation.expiresAt));
      case 'adapter-session':
        return this.extend(this.adapterSessions, revocation.adapterSessionId, expirySeconds(revocation.expiresAt));
      case 'subject': {
        const current = this.subjects.get(revocation.sub);
        const expiresAt = expirySeconds(revocation.expiresAt);
        if (current && current.issuedBefore >= revocation.issuedBefore && current.expiresAt >= expiresAt) return false;
        this.subjects.set(revocation.sub, {
          issuedBefore: Math.max(current?.issuedBefore ?? 0, revocation.issuedBefore),
          expiresAt: Math.max(current?.expiresAt ?? 0, expiresAt),
        });
        return true;
      }
      case 'not-before':
        // Like Keycloak's adapters: the not-before only ever moves forward.
        if (revocation.notBefore <= this.notBefore) return false;
        this.notBefore = revocation.notBefore;
        return true;
    }
  }

  check(subject: RevocationSubject, now: number): RevocationReason | undefined {
    if (subject.sid !== undefined && this.live(this.sids, subject.sid, now)) return 'sid';
    if (subject.adapterSessionId !== undefined && this.live(this.adapterSessions, subject.adapterSessionId, now)) {
      return 'adapter-session';
    }
    const iat = subject.iat ?? 0;
    if (subject.sub !== undefined) {
      const watermark = this.subjects.get(subject.sub);
      if (watermark && ahead(watermark.expiresAt, now) && iat <= watermark.issuedBefore) return 'subject';
    }
    // Keycloak's rule (TokenManager): a token is stale when iat < notBefore.
    if (iat < this.notBefore) return 'not-before';
    return undefined;
  }

  get size(): number {
    return this.sids.size + this.adapterSessions.size + this.subjects.size;
  }

  prune(now: number): void {
    for (const map of [this.sids, this.adapterSessions]) {
      for (const [key, expiresAt] of map) if (!ahead(expiresAt, now)) map.delete(key);
    }
    for (const [key, entry] of this.subjects) if (!ahead(entry.expiresAt, now)) this.subjects.delete(key);
  }

  /** `expiresAt` in whole seconds (expirySeconds). */
  private extend(map: Map<string, number>, key: string, expiresAt: number): boolean {
    const current = map.get(key);
    if (current !== undefined && current >= expiresAt) return false;
    map.set(key, expiresAt);
    return current === undefined;
  }

  private live(map: Map<string, number>, key: string, now: number): boolean {
    const expiresAt = map.get(key);
    return expiresAt !== undefined && ahead(expiresAt, now);
  }
}
