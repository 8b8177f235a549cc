import type { Revocation } from '../revocation/revocation.interface.js';

/**
 * Revocations enforced on this instance that could not be written to the shared log (Redis was
 * unreachable when they were made). They are written as soon as the reader is connected again,
 * before it reads on, so that the other instances learn them; expired ones are dropped, never
 * written. Kept as the batches they were published in, oldest first.
 */
export class RevocationOutbox {
  private readonly batches: Revocation[][] = [];

  add(revocations: readonly Revocation[]): void {
    this.batches.push([...revocations]);
  }

  /** Revocations waiting to be written. */
  get size(): number {
    return this.batches.reduce((sum, batch) => sum + batch.length, 0);
  }

  /** Whether a flush has work: batches to write, or emptied by prune() and only to drop. */
  get needsFlush(): boolean {
    return this.batches.length > 0;
  }

  /**
   * Drops expired revocations. In place: a batch keeps its place (even empty, until the next
   * flush), so that a flush under way still removes the batch it wrote.
   */
  prune(now = Date.now()): void {
    for (const batch of this.batches) batch.splice(0, batch.length, ...batch.filter((revocation) => revocation.expiresAt > now));
  }

  /**
   * Writes the waiting batches with `write`, oldest first, each without its expired revocations.
   * A batch leaves only once written: when `write` fails, it and the later ones stay for the next
   * flush. Batches added meanwhile are written too. Resolves to the number of revocations written.
   */
  async flush(write: (batch: Revocation[]) => Promise<unknown>, now: () => number = Date.now): Promise<number> {
    let written = 0;
    for (let head = this.batches[0]; head !== undefined; head = this.batches[0]) {
      const at = now();
      const live = head.filter((revocation) => revocation.expiresAt > at);
      if (live.length > 0) await write(live);
      written += live.length;
      this.batches.shift();
    }
    return written;
  }
}
