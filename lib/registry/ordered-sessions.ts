import type { SessionRecord } from './session-record.interface.js';

/**
 * Several sessions under one index key, in registration order, with add, delete and oldest in
 * O(1). A Set alone would not do: finding its oldest member skips the holes that deleting
 * earlier members leaves at its front, a cost that grows with the number of members.
 */
export class OrderedSessions {
  private readonly positionOf = new Map<SessionRecord, number>();
  private readonly atPosition = new Map<number, SessionRecord>();
  private next = 0;
  /** No live member sits before this position. */
  private first = 0;

  constructor(records: Iterable<SessionRecord>) {
    for (const record of records) this.add(record);
  }

  get size(): number {
    return this.positionOf.size;
  }

  /** Appends `record`; a member already present keeps its place. */
  add(record: SessionRecord): void {
    if (this.positionOf.has(record)) return;
    this.positionOf.set(record, this.next);
    this.atPosition.set(this.next++, record);
  }

  delete(record: SessionRecord): void {
    const position = this.positionOf.get(record);
    if (position === undefined) return;
    this.positionOf.delete(record);
    this.atPosition.delete(position);
  }

  /** The earliest registered member. Amortized O(1): `first` only moves forward. */
  oldest(): SessionRecord | undefined {
    if (this.size === 0) return undefined;
    while (!this.atPosition.has(this.first)) this.first++;
    return this.atPosition.get(this.first);
  }

  /** Oldest first. */
  values(): IterableIterator<SessionRecord> {
    return this.atPosition.values();
  }
}
