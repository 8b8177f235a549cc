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
 * The revocations in order of expiry to the second, those of one second in the order given: in
 * linear time (a bucket per second, then the seconds sorted). Sorting a million by their exact
 * expiry held the event loop about 0.2 s more when a compaction asked for them.
 */
function byExpirySecond(revocations: readonly Revocation[]): Revocation[] {
  const buckets = new Map<number, Revocation[]>();
  for (const revocation of revocations) {
    const second = Math.floor(revocation.expiresAt / 1000);
    const bucket = buckets.get(second);
    if (bucket === undefined) buckets.set(second, [revocation]);
    else bucket.push(revocation);
  }
  const ordered: Revocation[] = [];
  for (const second of [...buckets.keys()].sort((a, b) => a - b)) for (const revocation of buckets.get(second)!) ordered.push(revocation);
  return ordered;
}

/** Revocations sorted in per event-loop turn in the background: about 10 ms of work. */
const SLICE = 8_192;

/**
 * The live revocations this instance knows, without dominated duplicates: what it re-publishes
 * when the shared log was lost (Redis restarted without persistence, flushed, failed over to a
 * replica that lagged), so that instances started afterwards still learn them. Same bound as the
 * RevocationStore: entries are dropped at their `expiresAt`.
 *
 * Kept per realm (the same sid, or the not-before, of two realms are two entries, neither
 * supersedes the other), in maps keyed by the revocation's own strings: a catch-up adds one
 * revocation per log entry, so no key is built per revocation.
 *
 * Nothing here refuses a token (the RevocationStore does), so what is added is only kept aside,
 * and sorted into the maps later: a starting instance reads the whole log before it is ready,
 * and sorting a million revocations in costs about a second it need not wait for. Once the
 * reader has caught up it calls sortInBackground(), which does it a slice per event-loop turn;
 * live() and size first sort in what is left.
 */
export class KnownRevocations {
  /** By issuer; undefined for the primary realm. */
  private readonly realms = new Map<string | undefined, RealmKnown>();
  /** Batches added and not yet sorted in, from `pending[first]`'s revocation `next` on. */
  private pending: Array<readonly Revocation[]> = [];
  private first = 0;
  private next = 0;
  private sorting = false;

  /** Keeps a batch aside, to be sorted in later (see the class): no map is touched here. */
  add(revocations: readonly Revocation[]): void {
    if (revocations.length > 0) this.pending.push(revocations);
  }

  /** Whether everything added is sorted in. */
  get sorted(): boolean {
    return this.first === this.pending.length;
  }

  /** Revocations added and not yet sorted in (duplicates and expired ones included): counted without sorting them in. */
  get unsorted(): number {
    let count = 0;
    for (let i = this.first; i < this.pending.length; i += 1) count += this.pending[i]!.length;
    return count - this.next;
  }

  /** Sorts in what was added, a slice per event-loop turn, so that requests are served meanwhile. */
  sortInBackground(): void {
    if (this.sorting || this.sorted) return;
    this.sorting = true;
    const step = () => {
      this.sortIn(SLICE);
      if (this.sorted) this.sorting = false;
      else setImmediate(step);
    };
    setImmediate(step);
  }

  /** Live entries, oldest expiry first (to the second), so that a batch of them expires together. */
  live(now = Date.now()): Revocation[] {
    this.sortIn(Infinity);
    this.prune(now);
    const live: Revocation[] = [];
    for (const realm of this.realms.values()) {
      for (const revocation of realm.sids.values()) live.push(revocation);
      for (const revocation of realm.adapterSessions.values()) live.push(revocation);
      for (const watermarks of realm.subjects.values()) for (const revocation of watermarks.values()) live.push(revocation);
      if (realm.notBefore) live.push(realm.notBefore);
    }
    return byExpirySecond(live);
  }

  /** Drops what expired from what is sorted in (what is not yet, at the next prune after it is). */
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
    this.sortIn(Infinity);
    let size = 0;
    for (const realm of this.realms.values()) {
      size += realm.sids.size + realm.adapterSessions.size + (realm.notBefore ? 1 : 0);
      for (const watermarks of realm.subjects.values()) size += watermarks.size;
    }
    return size;
  }

  /** Sorts in up to `limit` revocations of those added, oldest first. */
  private sortIn(limit: number): void {
    let left = limit;
    while (left > 0 && !this.sorted) {
      const batch = this.pending[this.first]!;
      const end = Math.min(batch.length, this.next + left);
      for (let i = this.next; i < end; i += 1) this.sortInOne(batch[i]!);
      left -= end - this.next;
      if (end < batch.length) {
        this.next = end;
      } else {
        this.first += 1;
        this.next = 0;
      }
    }
    if (this.sorted && this.first > 0) {
      this.pending = [];
      this.first = 0;
    }
  }

  private sortInOne(revocation: Revocation): void {
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
