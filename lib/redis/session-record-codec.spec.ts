import { describe, expect, it } from 'vitest';
import type { SessionRecord } from '../registry/session-record.interface.js';
import { decodeSessionRecord, encodeSessionRecord, recordMember } from './session-record-codec.js';

const record: SessionRecord = { adapterSessionId: 'app-1', sid: 'kc-1', sub: 'user-1', clientId: 'app', issuedAt: 1_700_000_000, expiresAt: 1_700_036_000 };

describe('session records in Redis', () => {
  it('names a record by its adapter session id, else by its sid', () => {
    expect(recordMember(record)).toBe('a:app-1');
    expect(recordMember({ sid: 'kc-1' })).toBe('k:kc-1');
    expect(recordMember({})).toBeUndefined();
  });

  it('round-trips a record as plain JSON', () => {
    expect(JSON.parse(encodeSessionRecord(record))).toEqual(record);
    expect(decodeSessionRecord(encodeSessionRecord(record))).toEqual(record);
    const { sid, sub, clientId, issuedAt, expiresAt } = record;
    const withoutAdapterId = { sid, sub, clientId, issuedAt, expiresAt };
    expect(decodeSessionRecord(encodeSessionRecord(withoutAdapterId))).toEqual(withoutAdapterId);
  });

  it.each<[string, string | null]>([
    ['a miss', null],
    ['not JSON', '{"sub":'],
    ['JSON that is not an object', '"user-1"'],
    ["Keyv's envelope of a 0.1 record", JSON.stringify({ value: record, expires: 1_700_036_000_000 })],
    ['a record with neither adapter session id nor sid', JSON.stringify({ ...record, adapterSessionId: undefined, sid: undefined })],
    ['a record whose sub is not a string', JSON.stringify({ ...record, sub: 42 })],
    ['a record whose sid is not a string', JSON.stringify({ ...record, sid: ['kc-1'] })],
    ['a record without expiresAt', JSON.stringify({ ...record, expiresAt: undefined })],
  ])('reads %s as no record', (_, stored) => {
    expect(decodeSessionRecord(stored)).toBeUndefined();
  });
});
