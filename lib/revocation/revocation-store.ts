import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { RealmRevocations } from './realm-revocations.js';
import type { Revocation, RevocationReason, RevocationSubject } from './revocation.interface.js';

const PRUNE_INTERVAL_MS = 60_000;

/** Versions are unique across every store of the process, so a memo never matches another store. */
let lastVersion = 0;

/**
 * This instance's complete view of current revocations, in plain maps: the guards' hot path
 * reads only this, synchronously, with no I/O. Writes come from the RevocationBus (local in
 * single-instance mode, fanned out from the shared log in distributed mode). Entries are
 * forgotten at their `expiresAt` (to the whole second, rounded up: lib/revocation/realm-revocations.ts),
 * so memory is bounded by the revocation rate × lifetime.
 *
 * Kept per realm: the primary realm's revocations (no `issuer`) and each further realm's (by
 * its issuer) are separate, so a `sid`, `sub` or not-before of one realm never touches another.
 */
@Injectable()
export class RevocationStore implements OnModuleDestroy {
  private readonly primary = new RealmRevocations();
  /** Further realms, by issuer; created by their first revocation. */
  private readonly others = new Map<string, RealmRevocations>();
  private readonly timer = setInterval(() => this.prune(), PRUNE_INTERVAL_MS).unref();
  /**
   * Moves on every `apply`, whatever it changed: a subject found not revoked at one version stays
   * not revoked while the version stands, because only an applied revocation can revoke it (a
   * revocation expiring or pruned only ever lifts one). See RevocationMemo.
   */
  private currentVersion = ++lastVersion;

  get version(): number {
    return this.currentVersion;
  }

  /**
   * Applies a revocation; returns false when it adds nothing (already known, or expired), which
   * makes duplicates from retries and fan-out harmless.
   */
  apply(revocation: Revocation, now = Date.now()): boolean {
    // Before anything else: even an apply that reports nothing new may extend an expired entry.
    this.currentVersion = ++lastVersion;
    if (revocation.expiresAt <= now) return false;
    return this.realmFor(revocation.issuer).apply(revocation);
  }

  /** Why a token or session is refused, or undefined when it is not revoked. Only its own realm's revocations count. */
  check(subject: RevocationSubject, now = Date.now()): RevocationReason | undefined {
    const realm = subject.issuer === undefined ? this.primary : this.others.get(subject.issuer);
    return realm?.check(subject, now);
  }

  /** The primary realm's not-before. */
  get currentNotBefore(): number {
    return this.primary.notBefore;
  }

  /** The not-before of a realm (its issuer; undefined for the primary realm). */
  notBeforeOf(issuer: string | undefined): number {
    return issuer === undefined ? this.primary.notBefore : (this.others.get(issuer)?.notBefore ?? 0);
  }

  /** Number of tracked entries, for health reporting and benchmarks. */
  get size(): number {
    let size = this.primary.size;
    for (const realm of this.others.values()) size += realm.size;
    return size;
  }

  prune(now = Date.now()): void {
    this.primary.prune(now);
    for (const realm of this.others.values()) realm.prune(now);
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  private realmFor(issuer: string | undefined): RealmRevocations {
    if (issuer === undefined) return this.primary;
    let realm = this.others.get(issuer);
    if (realm === undefined) {
      realm = new RealmRevocations();
      this.others.set(issuer, realm);
    }
    return realm;
  }
}
