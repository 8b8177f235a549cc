import type { SessionRecord } from '../registry/session-record.interface.js';
import { isFiniteNumber, isJsonObject, isOptionalString } from './json-shape.js';

/*
 * The records of the registry's previous layout (earlier 0.2 builds, previous-session-layout.ts),
 * which the registry still reads during a rolling upgrade: a string key per record.
 */

/**
 * A record's name in the previous layout's indexes, and the end of its key (`RedisKeys.record`):
 * the adapter session id when there is one (what `k_logout` names), else the Keycloak sid.
 */
export function recordMember(record: Pick<SessionRecord, 'adapterSessionId' | 'sid'>): string | undefined {
  if (record.adapterSessionId !== undefined) return `a:${record.adapterSessionId}`;
  if (record.sid !== undefined) return `k:${record.sid}`;
  return undefined;
}

/**
 * What a stored value holds, in this order; the adapter session id is the record's member, not
 * repeated. The issuer comes last and only for a further realm's record (the primary realm's
 * records stay five fields long).
 */
type StoredFields =
  | [sid: string | null, sub: string, clientId: string, issuedAt: number, expiresAt: number]
  | [sid: string | null, sub: string, clientId: string, issuedAt: number, expiresAt: number, issuer: string];

/**
 * A record as Redis keeps it: a JSON array of its fields without names, and without the id its
 * key already carries (about half the bytes of the record's JSON object; see bench/RESULTS.md, section 3).
 */
export function encodeSessionRecord(record: SessionRecord): string {
  const fields: StoredFields =
    record.issuer === undefined
      ? [record.sid ?? null, record.sub, record.clientId, record.issuedAt, record.expiresAt]
      : [record.sid ?? null, record.sub, record.clientId, record.issuedAt, record.expiresAt, record.issuer];
  return JSON.stringify(fields);
}

function fromFields(value: unknown[], member: string): SessionRecord | undefined {
  const [sid, sub, clientId, issuedAt, expiresAt, issuer] = value;
  if ((value.length !== 5 && (value.length !== 6 || typeof issuer !== 'string')) || (sid !== null && typeof sid !== 'string') || typeof sub !== 'string' || typeof clientId !== 'string') return undefined;
  if (!isFiniteNumber(issuedAt) || !isFiniteNumber(expiresAt)) return undefined;
  const record: SessionRecord = { sub, clientId, issuedAt, expiresAt };
  if (member.startsWith('a:')) record.adapterSessionId = member.slice(2);
  if (sid !== null) record.sid = sid;
  if (typeof issuer === 'string') record.issuer = issuer;
  return record;
}

/** The JSON object earlier 0.2 development builds stored (the whole record, by name). */
function fromObject(value: Record<string, unknown>): SessionRecord | undefined {
  const valid =
    typeof value.sub === 'string' &&
    typeof value.clientId === 'string' &&
    isFiniteNumber(value.issuedAt) &&
    isFiniteNumber(value.expiresAt) &&
    isOptionalString(value.adapterSessionId) &&
    isOptionalString(value.sid) &&
    isOptionalString(value.issuer);
  return valid ? (value as unknown as SessionRecord) : undefined;
}

/**
 * The record a stored value holds, read from the key of `member`: undefined for a miss (null),
 * for what is not a record, and for a record that is not `member`'s (never trust a shared
 * store's bytes blindly).
 */
export function decodeSessionRecord(stored: string | null, member: string): SessionRecord | undefined {
  if (stored === null) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(stored);
  } catch {
    return undefined;
  }
  const record = Array.isArray(value) ? fromFields(value, member) : isJsonObject(value) ? fromObject(value) : undefined;
  return record !== undefined && recordMember(record) === member ? record : undefined;
}
