import type { Revocation, SubjectRevocation } from '../revocation/revocation.interface.js';

/** One realm's live revocations, by what they revoke. */
interface RealmKnown {
  sids: Map<string, Revocation>;
  adapterSessions: Map<string, Revocation>;
  /** By user, then by watermark: two watermarks of one user are two revocations. */
  subjects: Map<string, Map<number, SubjectRevocation>>;
  /** Only the latest not-before matters: it only ever moves forward. */
  notBefore: Revocation | undefined;
}

/**
 * The live revocations this instance knows, without dominated duplicates: what it re-publishes
 * when the shared log was lost (Redis restarted without persistence, flushed, failed over to a
 * replica that lagged), so that instances started afterwards still learn them. Same bound as the
 * RevocationStore: entries are dropped at their `expiresAt`.
 *
 * Kept per realm (the same sid, or the not-before, of two realms are two entries, neither
 * supersedes the other), in maps keyed by the revocation's own strings: a catch-up adds one
 * revocation per log entry, so no key is built per revocation.
 */
export class KnownRevocations {
  /** By issuer; undefined for the primary realm. */
  private readonly realms = new Map<string | undefined, RealmKnown>();

  add(revocation: Revocation): void {
    const realm = this.realmOf(revocation.issuer);
    switch (revocation.type) {
      case 'sid':
        return this.keep(realm.sids, revocation.sid, revocation);
      case 'adapter-session':
        return this.keep(realm.adapterSessions, revocation.adapterSessionId, revocation);
      case 'subject': {
        let watermarks = realm.subjects.get(revocation.sub);
        if (watermarks === undefined) {
          watermarks = new Map<number, SubjectRevocation>();
          realm.subjects.set(revocation.sub, watermarks);
        }
        return this.keep(watermarks, revocation.issuedBefore, revocation);
      }
      case 'not-before': {
        const current = realm.notBefore;
        if (current === undefined || this.supersedes(revocation, current)) realm.notBefore = revocation;
        return;
      }
    }
  }

  /** Live entries, oldest expiry first (so a batch of them expires together). */
  live(now = Date.now()): Revocation[] {
    this.prune(now);
    const live: Revocation[] = [];
    for (const realm of this.realms.values()) {
      for (const revocation of realm.sids.values()) live.push(revocation);
      for (const revocation of realm.adapterSessions.values()) live.push(revocation);
      for (const watermarks of realm.subjects.values()) for (const revocation of watermarks.values()) live.push(revocation);
      if (realm.notBefore) live.push(realm.notBefore);
    }
    return live.sort((a, b) => a.expiresAt - b.expiresAt);
  }

  prune(now = Date.now()): void {
    for (const [issuer, realm] of this.realms) {
      this.pruneMap(realm.sids, now);
      this.pruneMap(realm.adapterSessions, now);
      for (const [sub, watermarks] of realm.subjects) {
        this.pruneMap(watermarks, now);
        if (watermarks.size === 0) realm.subjects.delete(sub);
      }
      if (realm.notBefore && realm.notBefore.expiresAt <= now) realm.notBefore = undefined;
      if (realm.sids.size + realm.adapterSessions.size + realm.subjects.size === 0 && !realm.notBefore) this.realms.delete(issuer);
    }
  }

  get size(): number {
    let size = 0;
    for (const realm of this.realms.values()) {
      size += realm.sids.size + realm.adapterSessions.size + (realm.notBefore ? 1 : 0);
      for (const watermarks of realm.subjects.values()) size += watermarks.size;
    }
    return size;
  }

  private realmOf(issuer: string | undefined): RealmKnown {
    let realm = this.realms.get(issuer);
    if (realm === undefined) {
      realm = { sids: new Map(), adapterSessions: new Map(), subjects: new Map(), notBefore: undefined };
      this.realms.set(issuer, realm);
    }
    return realm;
  }

  private keep<K, R extends Revocation>(map: Map<K, R>, key: K, revocation: R): void {
    const current = map.get(key);
    if (current === undefined || this.supersedes(revocation, current)) map.set(key, revocation);
  }

  private pruneMap<K>(map: Map<K, Revocation>, now: number): void {
    for (const [key, revocation] of map) if (revocation.expiresAt <= now) map.delete(key);
  }

  private supersedes(candidate: Revocation, current: Revocation): boolean {
    if (candidate.type === 'not-before' && current.type === 'not-before' && candidate.notBefore !== current.notBefore) {
      return candidate.notBefore > current.notBefore;
    }
    return candidate.expiresAt > current.expiresAt;
  }
}
