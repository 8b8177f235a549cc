import { describe, expect, it } from 'vitest';
import type { SessionRecord } from '../registry/session-record.interface.js';
import {
  decodeIndexLine,
  decodeRecordHead,
  decodeRecordLine,
  encodeIndexLine,
  encodeRecordLine,
  escapeField,
  linesContaining,
  linesStartingWith,
  memberName,
  memberPrefix,
  unescapeField,
} from './registry-line-codec.js';

const record: SessionRecord = {
  adapterSessionId: '0f1e2d3c4b5a69788796a5b4c3d2e1f0',
  sid: '6f1c3c1e-3b5e-4f7a-9c61-1d2f0e8a4b6c',
  sub: '2a7d9e4b-8c1f-4e3a-b5d6-7f8091a2b3c4',
  clientId: 'app',
  issuedAt: 1_700_000_000,
  expiresAt: 1_700_036_000,
};
const { sid, sub, clientId, issuedAt, expiresAt } = record;
const sidOnly: SessionRecord = { sid, sub, clientId, issuedAt, expiresAt };
const line = encodeRecordLine(record, expiresAt);
const index = encodeIndexLine('AbCd-_12', 'zZ09-_aB', expiresAt);

describe('registry lines', () => {
  it('names a record by its app session id, else by its sid', () => {
    expect(memberName(record)).toBe(`a${record.adapterSessionId!}`);
    expect(memberName(sidOnly)).toBe(`k${sid!}`);
    expect(memberName({})).toBeUndefined();
    expect(memberPrefix('ak y')).toBe('ak%0020y ');
  });

  it('writes a record as its fields in one line: ids once, the times as distances, base 36', () => {
    expect(line).toBe(`a${record.adapterSessionId!} ${expiresAt.toString(36)} ${sid!} ${sub} app 0 rs0`);
    expect(encodeRecordLine(sidOnly, expiresAt)).toBe(`k${sid!} ${expiresAt.toString(36)}  ${sub} app 0 rs0`);
    expect(line.length).toBeLessThan(JSON.stringify(record).length * 0.7);
  });

  it('reads back what it writes, whatever the strings and numbers', () => {
    const cases: Array<[SessionRecord, number]> = [
      [record, expiresAt],
      [sidOnly, expiresAt],
      [{ adapterSessionId: 'x', sub, clientId, issuedAt, expiresAt }, expiresAt],
      // Capped at a year: the line leaves before the record's own expiresAt, which it keeps.
      [{ ...record, expiresAt: expiresAt + 10 * 31_536_000 }, expiresAt + 31_536_000],
      [{ ...record, issuedAt: expiresAt + 5 }, expiresAt],
      [{ ...record, issuedAt: 1_700_000_000.25, expiresAt: 1_700_036_000.5 }, expiresAt + 1],
      [{ ...record, issuedAt: -1e21, expiresAt: 1e300 }, expiresAt],
      [{ ...record, issuer: 'https://kc.example/realms/partners' }, expiresAt],
      [{ adapterSessionId: '', sid: '', sub: '', clientId: '', issuedAt, expiresAt, issuer: '' }, expiresAt],
      [{ adapterSessionId: 'a b\nc\r\t%25\u0000', sid: 'ünïcode 😀 \ud800', sub: '%', clientId: '=', issuedAt, expiresAt, issuer: 'x y' }, expiresAt],
      [{ sid: ' k\n', sub: 'a%0020b', clientId: 'i', issuedAt, expiresAt }, expiresAt],
    ];
    for (const [value, expiry] of cases) {
      const encoded = encodeRecordLine(value, expiry);
      expect(encoded).toMatch(/^[!-~][!-~ ]*$/);
      expect(decodeRecordLine(encoded)).toEqual({ record: value, member: memberName(value), expiry });
      expect(decodeRecordHead(encoded)).toEqual({ member: memberName(value), expiry });
    }
  });

  it('escapes what is not printable ASCII, and the percent sign, one spelling per string', () => {
    expect(escapeField('plain-id_1.2~!')).toBe('plain-id_1.2~!');
    expect(escapeField('a b')).toBe('a%0020b');
    expect(escapeField('')).toBe('%');
    expect(escapeField('%')).toBe('%0025');
    expect(unescapeField('a%0020b')).toBe('a b');
    expect(unescapeField('%')).toBe('');
    for (const field of ['', 'a b', 'a%', 'a%002', 'a%00zz', 'a%0041', '%0025%', 'a\nb', 'é']) expect(unescapeField(field)).toBeUndefined();
  });

  it('writes an index line of 24 characters: the index and member fingerprints, the expiry', () => {
    expect(index).toBe(`iAbCd-_12zZ09-_aB ${expiresAt.toString(36)}`);
    expect(index).toHaveLength(24);
    expect(decodeIndexLine(index)).toEqual({ index: 'AbCd-_12', member: 'zZ09-_aB', expiry: expiresAt, line: index });
  });

  const expiry = expiresAt.toString(36);
  const rest = `${sid!} ${sub} app 0 rsw`;
  it.each<[string, string]>([
    ['an empty line', ''],
    ['a line of spaces', '   '],
    ['a name of no known kind', `x1 ${expiry} ${rest}`],
    ['a name without an id', `a ${expiry} ${rest}`],
    ['an id escaped wrongly', `aab%zz ${expiry} ${rest}`],
    ['an id escaped where it need not be', `aa%0062 ${expiry} ${rest}`],
    ['a raw non-ASCII id', `aé ${expiry} ${rest}`],
    ['no expiry', `a1  ${rest}`],
    ['a negative expiry', `a1 -${expiry} ${rest}`],
    ['an expiry in capitals', `a1 ${expiry.toUpperCase()} ${rest}`],
    ['an expiry beyond safe integers', `a1 zzzzzzzzzzz ${rest}`],
    ['an expiry that is a decimal number', `a1 1.5 ${rest}`],
    ['too few fields', `a1 ${expiry} ${sid!} ${sub} app 0`],
    ['too many fields', `a1 ${expiry} ${rest} issuer extra`],
    ['a tab between fields', `a1 ${expiry} ${rest}`.replace(' app', '\tapp')],
    ['an empty sub', `a1 ${expiry} ${sid!}  app 0 rsw`],
    ['an empty client id', `a1 ${expiry} ${sid!} ${sub}  0 rsw`],
    ['an empty issuer', `a1 ${expiry} ${rest} `],
    ['a sid field in a record named by its sid', `ks1 ${expiry} s2 ${sub} app 0 rsw`],
    ['an expiresAt distance that is no number', `a1 ${expiry} ${sid!} ${sub} app !! rsw`],
    ['an expiresAt that is not finite', `a1 ${expiry} ${sid!} ${sub} app =Infinity rsw`],
    ['an expiresAt that is not a decimal number', `a1 ${expiry} ${sid!} ${sub} app =0x10 rsw`],
    ['an empty whole expiresAt', `a1 ${expiry} ${sid!} ${sub} app = rsw`],
    ['an empty issuedAt distance', `a1 ${expiry} ${sid!} ${sub} app 0 `],
    ['an issuedAt distance beyond safe integers', `a1 ${expiry} ${sid!} ${sub} app 0 -zzzzzzzzzzz`],
    ['an index line', index],
    ['JSON', JSON.stringify(record)],
  ])('reads %s as no record', (_, text) => {
    expect(decodeRecordLine(text)).toBeUndefined();
  });

  it.each<[string, string]>([
    ['a record line', line],
    ['a short line', 'iAbCd-_12zZ09-_a'],
    ['no space after the fingerprints', `iAbCd-_12zZ09-_aB${expiry}`],
    ['a fingerprint with a character outside base64url', `iAbCd+_12zZ09-_aB ${expiry}`],
    ['no expiry', 'iAbCd-_12zZ09-_aB '],
    ['an expiry that is no base-36 number', 'iAbCd-_12zZ09-_aB 12!'],
    ['more after the expiry', `${index} x`],
  ])('reads %s as no index line', (_, text) => {
    expect(decodeIndexLine(text)).toBeUndefined();
  });

  it('finds the lines of a bucket that start with a prefix or contain a text, whatever else the bucket holds', () => {
    const bucket = `ab 1 x\nxab 2\n\nab 3 ab\n\u0000ab 4\nab 5`;
    expect(linesStartingWith(bucket, 'ab ')).toEqual(['ab 1 x', 'ab 3 ab', 'ab 5']);
    expect(linesStartingWith(bucket, 'zz')).toEqual([]);
    expect(linesStartingWith('', 'ab')).toEqual([]);
    expect(linesContaining(bucket, 'ab')).toEqual(['ab 1 x', 'xab 2', 'ab 3 ab', '\u0000ab 4', 'ab 5']);
    expect(linesContaining(bucket, '3')).toEqual(['ab 3 ab']);
  });
});
