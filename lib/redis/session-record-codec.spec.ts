import { describe, expect, it } from 'vitest';
import type { SessionRecord } from '../registry/session-record.interface.js';
import { decodeSessionRecord, encodeSessionRecord, recordMember } from './session-record-codec.js';

const record: SessionRecord = { adapterSessionId: 'app-1', sid: 'kc-1', sub: 'user-1', clientId: 'app', issuedAt: 1_700_000_000, expiresAt: 1_700_036_000 };
const { sid, sub, clientId, issuedAt, expiresAt } = record;
const sidOnly: SessionRecord = { sid, sub, clientId, issuedAt, expiresAt };

describe('session records in Redis', () => {
  it('names a record by its adapter session id, else by its sid', () => {
    expect(recordMember(record)).toBe('a:app-1');
    expect(recordMember({ sid: 'kc-1' })).toBe('k:kc-1');
    expect(recordMember({})).toBeUndefined();
  });

  it('round-trips a record as its fields without names, the adapter session id coming from its member', () => {
    expect(JSON.parse(encodeSessionRecord(record))).toEqual(['kc-1', 'user-1', 'app', 1_700_000_000, 1_700_036_000]);
    expect(encodeSessionRecord(record)).not.toContain('app-1');
    expect(decodeSessionRecord(encodeSessionRecord(record), 'a:app-1')).toEqual(record);
    expect(decodeSessionRecord(encodeSessionRecord(sidOnly), 'k:kc-1')).toEqual(sidOnly);
    const withoutSid: SessionRecord = { adapterSessionId: 'app-1', sub, clientId, issuedAt, expiresAt };
    expect(decodeSessionRecord(encodeSessionRecord(withoutSid), 'a:app-1')).toEqual(withoutSid);
  });

  it('takes less than two thirds of the bytes of the JSON object', () => {
    expect(encodeSessionRecord(record).length).toBeLessThan((JSON.stringify(record).length * 2) / 3);
  });

  it("reads the JSON object of earlier 0.2 development builds, when it is the member's", () => {
    expect(decodeSessionRecord(JSON.stringify(record), 'a:app-1')).toEqual(record);
    expect(decodeSessionRecord(JSON.stringify(sidOnly), 'k:kc-1')).toEqual(sidOnly);
    expect(decodeSessionRecord(JSON.stringify(record), 'a:app-2')).toBeUndefined();
  });

  it.each<[string, string | null, string]>([
    ['a miss', null, 'a:app-1'],
    ['not JSON', '{"sub":', 'a:app-1'],
    ['JSON that is neither an object nor an array', '"user-1"', 'a:app-1'],
    ["Keyv's envelope of a 0.1 record", JSON.stringify({ value: record, expires: 1_700_036_000_000 }), 'a:app-1'],
    ['a record with neither adapter session id nor sid', JSON.stringify({ ...record, adapterSessionId: undefined, sid: undefined }), 'a:app-1'],
    ['a record whose sub is not a string', JSON.stringify({ ...record, sub: 42 }), 'a:app-1'],
    ['a record whose sid is not a string', JSON.stringify({ ...record, sid: ['kc-1'] }), 'a:app-1'],
    ['a record without expiresAt', JSON.stringify({ ...record, expiresAt: undefined }), 'a:app-1'],
    ['fields with a number for the sub', JSON.stringify(['kc-1', 42, 'app', 1, 2]), 'a:app-1'],
    ['fields with a string for the expiry', JSON.stringify(['kc-1', 'user-1', 'app', 1, '2']), 'a:app-1'],
    ['too few fields', JSON.stringify(['kc-1', 'user-1', 'app', 1]), 'a:app-1'],
    ['too many fields', JSON.stringify(['kc-1', 'user-1', 'app', 1, 2, 3]), 'a:app-1'],
    ['fields without a sid under a sid member', JSON.stringify([null, 'user-1', 'app', 1, 2]), 'k:kc-1'],
    ["fields of another sid under a sid member", JSON.stringify(['kc-2', 'user-1', 'app', 1, 2]), 'k:kc-1'],
    ['fields under a member of no known kind', JSON.stringify(['kc-1', 'user-1', 'app', 1, 2]), 'x:kc-1'],
  ])('reads %s as no record', (_, stored, member) => {
    expect(decodeSessionRecord(stored, member)).toBeUndefined();
  });
});
