import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { Revocation, RevocationReason, RevocationSubject } from './revocation.interface.js';

const PRUNE_INTERVAL_MS = 60_000;

/**
 * This instance's complete view of current revocations, in plain maps: the guards' hot path
 * reads only this, synchronously, with no I/O. Writes come from the RevocationBus (local in
 * single-instance mode, fanned out from the shared log in distributed mode). Entries are
 * forgotten at their `expiresAt`, so memory is bounded by the revocation rate × lifetime.
 */
@Injectable()
export class RevocationStore implements OnModuleDestroy {
  private readonly sids = new Map<string, number>();
  private readonly adapterSessions = new Map<string, number>();
  private readonly subjects = new Map<string, { issuedBefore: number; expiresAt: number }>();
  private notBefore = 0;
  private readonly timer = setInterval(() => this.prune(), PRUNE_INTERVAL_MS).unref();

  /**
   * Applies a revocation; returns false when it adds nothing (already known, or expired), which
   * makes duplicates from retries and fan-out harmless.
   */
  apply(revocation: Revocation, now = Date.now()): boolean {
    if (revocation.expiresAt <= now) return false;
    switch (revocation.type) {
      case 'sid':
        return this.extend(this.sids, revocation.sid, revocation.expiresAt);
      case 'adapter-session':
        return this.extend(this.adapterSessions, revocation.adapterSessionId, revocation.expiresAt);
      case 'subject': {
        const current = this.subjects.get(revocation.sub);
        if (current && current.issuedBefore >= revocation.issuedBefore && current.expiresAt >= revocation.expiresAt) return false;
        this.subjects.set(revocation.sub, {
          issuedBefore: Math.max(current?.issuedBefore ?? 0, revocation.issuedBefore),
          expiresAt: Math.max(current?.expiresAt ?? 0, revocation.expiresAt),
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

  /** Why a token or session is refused, or undefined when it is not revoked. */
  check(subject: RevocationSubject, now = Date.now()): RevocationReason | undefined {
    if (subject.sid !== undefined && this.live(this.sids, subject.sid, now)) return 'sid';
    if (subject.adapterSessionId !== undefined && this.live(this.adapterSessions, subject.adapterSessionId, now)) {
      return 'adapter-session';
    }
    const iat = subject.iat ?? 0;
    if (subject.sub !== undefined) {
      const watermark = this.subjects.get(subject.sub);
      if (watermark && watermark.expiresAt > now && iat <= watermark.issuedBefore) return 'subject';
    }
    // Keycloak's rule (TokenManager): a token is stale when iat < notBefore.
    if (iat < this.notBefore) return 'not-before';
    return undefined;
  }

  get currentNotBefore(): number {
    return this.notBefore;
  }

  /** Number of tracked entries, for health reporting and benchmarks. */
  get size(): number {
    return this.sids.size + this.adapterSessions.size + this.subjects.size;
  }

  prune(now = Date.now()): void {
    for (const map of [this.sids, this.adapterSessions]) {
      for (const [key, expiresAt] of map) if (expiresAt <= now) map.delete(key);
    }
    for (const [key, entry] of this.subjects) if (entry.expiresAt <= now) this.subjects.delete(key);
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  private extend(map: Map<string, number>, key: string, expiresAt: number): boolean {
    const current = map.get(key);
    if (current !== undefined && current >= expiresAt) return false;
    map.set(key, expiresAt);
    return current === undefined;
  }

  private live(map: Map<string, number>, key: string, now: number): boolean {
    const expiresAt = map.get(key);
    return expiresAt !== undefined && expiresAt > now;
  }
}
