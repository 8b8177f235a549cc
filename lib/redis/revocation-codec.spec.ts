import { describe, expect, it } from 'vitest';
import type { Revocation } from '../revocation/revocation.interface.js';
import { compareStreamIds, decodeBatch, encodeEntry, nextStreamId } from './revocation-codec.js';

/** What the log reader decodes of an entry: its `r` field (log-entries-page.ts, live-log-page.ts). */
const decodeEntry = (fields: Record<string, string>) => decodeBatch(fields.r);

const base = { source: 'backchannel-logout', revokedAt: 1_700_000_000_000 } as const;

/** One of each type, with the optional flags a logout token's events can set. */
const revocations: Revocation[] = [
  { ...base, id: 'r-sid', type: 'sid', sid: 'kc-sid-1', expiresAt: 1_700_000_600_000, revokeOfflineAccess: true },
  { ...base, id: 'r-sub', type: 'subject', sub: 'user-1', issuedBefore: 1_700_000_000, expiresAt: 1_700_000_900_000, revokeOfflineAccess: true },
  { ...base, id: 'r-app', type: 'adapter-session', adapterSessionId: 'app-session-1', expiresAt: 1_700_000_300_000 },
  { ...base, id: 'r-nbf', type: 'not-before', notBefore: 1_699_999_000, expiresAt: 1_700_000_100_000 },
];

describe('revocation stream entries', () => {
  it('round-trips every revocation type, revokeOfflineAccess included', () => {
    const entry = encodeEntry(revocations);
    expect(Object.keys(entry).sort()).toEqual(['r', 'x']);
    expect(decodeEntry(entry)).toEqual(revocations);
    expect(decodeEntry(entry)?.filter((r) => 'revokeOfflineAccess' in r && r.revokeOfflineAccess)).toHaveLength(2);
  });

  it('stamps the entry with the largest expiry of its batch (epoch ms), whatever the order', () => {
    expect(encodeEntry(revocations).x).toBe('1700000900000');
    expect(encodeEntry([...revocations].reverse()).x).toBe('1700000900000');
    expect(encodeEntry([revocations[2]!]).x).toBe('1700000300000');
    expect(encodeEntry([])).toEqual({ r: '[]', x: '0' });
  });

  it.each<[string, Record<string, string>]>([
    ['an entry without the r field (not one of ours)', { x: '1700000900000', payload: 'something else' }],
    ['r that is not JSON', { r: '[{"type":"sid"', x: '1' }],
    ['r that is a JSON object, not an array', { r: JSON.stringify(revocations[0]), x: '1' }],
    ['r that is a JSON string', { r: '"kc-sid-1"', x: '1' }],
    ['r that is JSON null', { r: 'null', x: '1' }],
  ])('refuses %s (undefined: the reader skips the entry)', (_, fields) => {
    expect(decodeEntry(fields)).toBeUndefined();
  });

  it('reads past fields it does not know, and an entry without x', () => {
    const { r } = encodeEntry(revocations);
    expect(decodeEntry({ r, x: '0', writer: 'a newer version', extra: '{}' })).toEqual(revocations);
    expect(decodeEntry({ r })).toEqual(revocations);
  });

  it('keeps the valid revocations of an entry and drops the invalid ones', () => {
    const [sid, sub, app, nbf] = revocations as [Revocation, Revocation, Revocation, Revocation];
    const invalid: unknown[] = [
      null,
      'r-sid',
      [sid],
      { ...sid, type: 'session' },
      { ...sid, sid: 42 },
      { ...sid, id: undefined },
      { ...sid, source: 7 },
      { ...sid, revokedAt: 'yesterday' },
      { ...sid, expiresAt: null },
      { ...sid, expiresAt: Number.POSITIVE_INFINITY },
      { ...sub, sub: undefined },
      { ...sub, issuedBefore: '1700000000' },
      { ...app, adapterSessionId: ['app-session-1'] },
      { ...nbf, notBefore: undefined },
    ];
    // Infinity does not survive JSON (it becomes null), so it is refused as null is.
    const r = JSON.stringify([invalid[0], sid, ...invalid.slice(1, 8), sub, ...invalid.slice(8), app, nbf]);
    expect(decodeEntry({ r, x: '1' })).toEqual([sid, sub, app, nbf]);
    expect(decodeEntry({ r: JSON.stringify(invalid), x: '1' })).toEqual([]);
  });
});

describe('stream ids', () => {
  it('orders ids by time, then by sequence, as numbers (not as text)', () => {
    const ids = ['10-0', '9-99', '1700000000000-1', '1700000000000-0', '2-10', '2-9', '0-1', '0-0'];
    expect([...ids].sort(compareStreamIds)).toEqual(['0-0', '0-1', '2-9', '2-10', '9-99', '10-0', '1700000000000-0', '1700000000000-1']);
    expect(compareStreamIds('5-3', '5-3')).toBe(0);
    // Both parts are unsigned 64-bit in Redis: beyond a double's exact range, still ordered.
    expect(compareStreamIds('5-18446744073709551614', '5-18446744073709551615')).toBe(-1);
    expect(compareStreamIds('18446744073709551615-0', '18446744073709551614-0')).toBe(1);
    // A bare time (XRANGE accepts one) counts as sequence 0.
    expect(compareStreamIds('7', '7-0')).toBe(0);
    expect(compareStreamIds('7', '7-1')).toBe(-1);
  });

  it('nextStreamId is the smallest id after the given one (an exclusive XTRIM MINID bound)', () => {
    expect(nextStreamId('1700000000000-0')).toBe('1700000000000-1');
    expect(nextStreamId('5-9')).toBe('5-10');
    expect(nextStreamId('5-18446744073709551614')).toBe('5-18446744073709551615');
    // The sequence is exhausted: the next id is the next millisecond's first.
    expect(nextStreamId('5-18446744073709551615')).toBe('6-0');
    for (const id of ['0-0', '5-9', '9-99', '5-18446744073709551615']) expect(compareStreamIds(id, nextStreamId(id))).toBe(-1);
  });
});
