import type { Revocation } from '../revocation/revocation.interface.js';

/**
 * The live revocations this instance knows, without dominated duplicates: what it re-publishes
 * when the shared log was lost (Redis restarted without persistence, flushed, failed over to a
 * replica that lagged), so that instances started afterwards still learn them. Same bound as the
 * RevocationStore: entries are dropped at their `expiresAt`.
 */
export class KnownRevocations {
  private readonly byKey = new Map<string, Revocation>();

  add(revocation: Revocation): void {
    const key = this.keyOf(revocation);
    const current = this.byKey.get(key);
    if (current === undefined || this.supersedes(revocation, current)) this.byKey.set(key, revocation);
  }

  /** Live entries, oldest expiry first (so a batch of them expires together). */
  live(now = Date.now()): Revocation[] {
    this.prune(now);
    return [...this.byKey.values()].sort((a, b) => a.expiresAt - b.expiresAt);
  }

  prune(now = Date.now()): void {
    for (const [key, revocation] of this.byKey) if (revocation.expiresAt <= now) this.byKey.delete(key);
  }

  get size(): number {
    return this.byKey.size;
  }

  /** Per realm: the same sid (or the not-before) of two realms are two entries, neither supersedes the other. */
  private keyOf(revocation: Revocation): string {
    const key = this.keyInRealm(revocation);
    return revocation.issuer === undefined ? key : `${revocation.issuer} ${key}`;
  }

  private keyInRealm(revocation: Revocation): string {
    switch (revocation.type) {
      case 'sid':
        return `s:${revocation.sid}`;
      case 'adapter-session':
        return `a:${revocation.adapterSessionId}`;
      case 'subject':
        return `u:${revocation.issuedBefore}:${revocation.sub}`;
      case 'not-before':
        // Only the latest not-before matters: it only ever moves forward.
        return 'n';
    }
  }

  private supersedes(candidate: Revocation, current: Revocation): boolean {
    if (candidate.type === 'not-before' && current.type === 'not-before' && candidate.notBefore !== current.notBefore) {
      return candidate.notBefore > current.notBefore;
    }
    return candidate.expiresAt > current.expiresAt;
  }
}
