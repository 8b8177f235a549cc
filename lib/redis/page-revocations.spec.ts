import { describe, expect, it } from 'vitest';
import type { Revocation } from '../revocation/revocation.interface.js';
import { pageRevocations } from './page-revocations.js';

const sid = (value: string): Revocation => ({ type: 'sid', sid: value, id: `r-${value}`, source: 'api', revokedAt: 1, expiresAt: 2 });
const batch = (...sids: string[]) => JSON.stringify(sids.map(sid));

describe('the revocations of a page', () => {
  it('reads every live entry in log order, several revocations per entry included', () => {
    const skipped: string[] = [];
    const page = { lastId: '9-0', read: 9, ids: ['1-0', '2-0', '9-0'], batches: [batch('a'), batch('b', 'c'), batch()] };
    expect(pageRevocations(page, (id) => skipped.push(id))).toEqual([sid('a'), sid('b'), sid('c')]);
    expect(skipped).toEqual([]);
  });

  it('passes over an entry that is not a batch of ours, reporting its id, and keeps its neighbours', () => {
    const skipped: string[] = [];
    const page = {
      lastId: '6-0',
      read: 6,
      ids: ['1-0', '2-0', '3-0', '4-0', '5-0', '6-0'],
      // Truncated JSON, no r field, an object rather than an array, a batch with an invalid revocation.
      batches: [batch('before'), '[{"type":"sid"', null, JSON.stringify(sid('an object')), JSON.stringify([sid('valid'), { type: 'sid' }]), batch('after')],
    };
    expect(pageRevocations(page, (id) => skipped.push(id))).toEqual([sid('before'), sid('valid'), sid('after')]);
    expect(skipped).toEqual(['2-0', '3-0', '4-0']);
  });

  it('reports the id of an XREAD page entry (its bytes) as text', () => {
    const skipped: string[] = [];
    const page = { lastId: '2-0', read: 2, ids: [Buffer.from('1-0'), Buffer.from('2-0')], batches: ['not json', batch('fine')] };
    expect(pageRevocations(page, (id) => skipped.push(id))).toEqual([sid('fine')]);
    expect(skipped).toEqual(['1-0']);
  });

  it('reads nothing from a page without live entries', () => {
    expect(pageRevocations({ lastId: '5-0', read: 5, ids: [], batches: [] }, () => undefined)).toEqual([]);
  });
});
