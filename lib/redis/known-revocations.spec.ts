import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it, vi } from 'vitest';
import type { Revocation } from '../revocation/revocation.interface.js';
import { KnownRevocations } from './known-revocations.js';

const NOW = 1_700_000_000_000;
const PARTNERS = 'https://keycloak.example/realms/partners';
let counter = 0;

/** A revocation with the given fields, live for `lifetime` ms after NOW. */
function revocation(body: Record<string, unknown>, lifetime = 60_000): Revocation {
  return { id: `r-${++counter}`, source: 'api', revokedAt: NOW, expiresAt: NOW + lifetime, ...body } as Revocation;
}

describe('KnownRevocations (what an instance re-publishes after a lost log)', () => {
  it('keeps one entry per sid, app session, watermark of a user and realm not-before: the one that lasts longest', () => {
    const known = new KnownRevocations();
    const sid = revocation({ type: 'sid', sid: 's' }, 1_000);
    const longerSid = revocation({ type: 'sid', sid: 's' }, 5_000);
    const app = revocation({ type: 'adapter-session', adapterSessionId: 'a' }, 5_000);
    const shorterApp = revocation({ type: 'adapter-session', adapterSessionId: 'a' }, 1_000);
    const watermark = revocation({ type: 'subject', sub: 'alice', issuedBefore: 100 }, 2_000);
    const laterWatermark = revocation({ type: 'subject', sub: 'alice', issuedBefore: 200 }, 1_000);
    const sameWatermarkLonger = revocation({ type: 'subject', sub: 'alice', issuedBefore: 100 }, 3_000);
    for (const entry of [sid, longerSid, app, shorterApp, watermark, laterWatermark, sameWatermarkLonger]) known.add([entry]);
    expect(known.size).toBe(4);
    expect(known.live(NOW)).toEqual([laterWatermark, sameWatermarkLonger, longerSid, app]);
  });

  it('keeps the latest not-before, whatever the order they arrive in; of one not-before, the one that lasts longest', () => {
    const known = new KnownRevocations();
    const later = revocation({ type: 'not-before', notBefore: 200 }, 1_000);
    const earlier = revocation({ type: 'not-before', notBefore: 100 }, 9_000);
    known.add([later]);
    known.add([earlier]);
    expect(known.live(NOW)).toEqual([later]);
    const laterLonger = revocation({ type: 'not-before', notBefore: 200 }, 2_000);
    known.add([laterLonger]);
    expect(known.live(NOW)).toEqual([laterLonger]);
  });

  it('keeps the same sid, sub and not-before of two realms apart', () => {
    const known = new KnownRevocations();
    const entries = [
      revocation({ type: 'sid', sid: 'same' }),
      revocation({ type: 'sid', sid: 'same', issuer: PARTNERS }),
      revocation({ type: 'subject', sub: 'alice', issuedBefore: 100 }),
      revocation({ type: 'subject', sub: 'alice', issuedBefore: 100, issuer: PARTNERS }),
      revocation({ type: 'not-before', notBefore: 100 }),
      revocation({ type: 'not-before', notBefore: 50, issuer: PARTNERS }),
    ];
    for (const entry of entries) known.add([entry]);
    expect(known.size).toBe(6);
    expect(new Set(known.live(NOW))).toEqual(new Set(entries));
  });

  it('forgets entries at their expiresAt, oldest expiry first in what it lists', () => {
    const known = new KnownRevocations();
    const brief = revocation({ type: 'sid', sid: 'brief' }, 1_000);
    const lasting = revocation({ type: 'adapter-session', adapterSessionId: 'lasting' }, 3_000);
    const middle = revocation({ type: 'subject', sub: 'bob', issuedBefore: 1 }, 2_000);
    const partnerNotBefore = revocation({ type: 'not-before', notBefore: 1, issuer: PARTNERS }, 1_500);
    for (const entry of [lasting, brief, middle, partnerNotBefore]) known.add([entry]);
    expect(known.live(NOW)).toEqual([brief, partnerNotBefore, middle, lasting]);
    expect(known.live(NOW + 1_000)).toEqual([partnerNotBefore, middle, lasting]);
    known.prune(NOW + 2_000);
    expect(known.size).toBe(1);
    expect(known.live(NOW + 2_000)).toEqual([lasting]);
    expect(known.live(NOW + 3_000)).toEqual([]);
    expect(known.size).toBe(0);
  });

  it('lists live entries by expiry to the second, those of one second in the order they were kept', () => {
    const known = new KnownRevocations();
    // NOW is a whole second: +1,900 and +1,100 share a second, +2,000 starts the next one.
    const late = revocation({ type: 'sid', sid: 'late' }, 1_900);
    const early = revocation({ type: 'sid', sid: 'early' }, 1_100);
    const next = revocation({ type: 'sid', sid: 'next' }, 2_000);
    const first = revocation({ type: 'sid', sid: 'first' }, 500);
    known.add([next, late, early, first]);
    expect(known.live(NOW)).toEqual([first, late, early, next]);
  });

  describe('what is added is kept aside, and sorted in later', () => {
    /** `count` sid revocations, one batch, as a catch-up page brings them. */
    const page = (count: number, prefix: string) => Array.from({ length: count }, (_, i) => revocation({ type: 'sid', sid: `${prefix}-${i}` }));

    it('in the background, a slice per event-loop turn, even of one large batch', async () => {
      const known = new KnownRevocations();
      known.add(page(20_000, 'a'));
      known.add(page(3, 'b'));
      expect(known.sorted).toBe(false);
      expect(known.unsorted).toBe(20_003);
      known.sortInBackground();
      known.sortInBackground();
      // Still nothing before the first turn; one slice after it, not the whole batch.
      expect(known.sorted).toBe(false);
      await nextTurn();
      await nextTurn();
      expect(known.sorted).toBe(false);
      expect(known.unsorted).toBeGreaterThan(3);
      expect(known.unsorted).toBeLessThan(20_003);
      await vi.waitFor(() => expect(known.sorted).toBe(true));
      expect(known.unsorted).toBe(0);
      expect(known.size).toBe(20_003);
      // Later batches are sorted in by a later call.
      known.add(page(2, 'c'));
      expect(known.sorted).toBe(false);
      known.sortInBackground();
      await vi.waitFor(() => expect(known.sorted).toBe(true));
      expect(known.size).toBe(20_005);
    });

    it('live() and size sort in what is left first: they see every revocation added, duplicates resolved', async () => {
      const known = new KnownRevocations();
      const brief = revocation({ type: 'sid', sid: 'dup' }, 1_000);
      const lasting = revocation({ type: 'sid', sid: 'dup' }, 5_000);
      known.add(page(10_000, 'x'));
      known.add([brief]);
      known.sortInBackground();
      await nextTurn();
      await nextTurn();
      // Half-way through the background sort: the rest is sorted in by the read.
      known.add([lasting]);
      expect(known.size).toBe(10_001);
      expect(known.sorted).toBe(true);
      const live = known.live(NOW);
      expect(live).toContain(lasting);
      expect(live).not.toContain(brief);

      // prune() leaves what is not sorted in yet (the background does it); live() sorts it in, then drops what expired.
      const later = new KnownRevocations();
      later.add([brief]);
      later.prune(NOW + 1_000);
      expect(later.sorted).toBe(false);
      expect(later.live(NOW + 1_000)).toEqual([]);
      expect(later.sorted).toBe(true);
      expect(later.size).toBe(0);
    });

    it('an empty batch is nothing to sort in', () => {
      const known = new KnownRevocations();
      known.add([]);
      expect(known.sorted).toBe(true);
    });
  });
});
