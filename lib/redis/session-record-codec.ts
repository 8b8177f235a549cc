import type { SessionRecord } from '../registry/session-record.interface.js';
import { isFiniteNumber, isJsonObject, isOptionalString } from './json-shape.js';

/**
 * A record's name in the registry's indexes, and the end of its key (`RedisKeys.record`): the
 * adapter session id when there is one (what `k_logout` names), else the Keycloak sid.
 */
export function recordMember(record: Pick<SessionRecord, 'adapterSessionId' | 'sid'>): string | undefined {
  if (record.adapterSessionId !== undefined) return `a:${record.adapterSessionId}`;
  if (record.sid !== undefined) return `k:${record.sid}`;
  return undefined;
}

/** A record as Redis keeps it: its JSON, as is. */
export function encodeSessionRecord(record: SessionRecord): string {
  return JSON.stringify(record);
}

function isSessionRecord(value: unknown): value is SessionRecord {
  return (
    isJsonObject(value) &&
    typeof value.sub === 'string' &&
    typeof value.clientId === 'string' &&
    isFiniteNumber(value.issuedAt) &&
    isFiniteNumber(value.expiresAt) &&
    isOptionalString(value.adapterSessionId) &&
    isOptionalString(value.sid) &&
    isOptionalString(value.issuer) &&
    (value.adapterSessionId !== undefined || value.sid !== undefined)
  );
}

/** The record a stored value holds: undefined for a miss (null), and for what is not a record (never trust a shared store's bytes blindly). */
export function decodeSessionRecord(stored: string | null): SessionRecord | undefined {
  if (stored === null) return undefined;
  try {
    const value: unknown = JSON.parse(stored);
    return isSessionRecord(value) ? value : undefined;
  } catch {
    return undefined;
  }
}
