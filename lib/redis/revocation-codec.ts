import type { Revocation } from '../revocation/revocation.interface.js';
import { isFiniteNumber, isJsonObject, isOptionalString } from './json-shape.js';

/** One stream entry: a batch of revocations published together, and when the last of them expires. */
interface StreamEntryFields {
  /** JSON array of revocations. */
  r: string;
  /** Largest `expiresAt` of the batch (epoch ms): the entry may be trimmed after it. */
  x: string;
  [field: string]: string;
}

export function encodeEntry(revocations: readonly Revocation[]): StreamEntryFields {
  let expiresAt = 0;
  for (const revocation of revocations) expiresAt = Math.max(expiresAt, revocation.expiresAt);
  return { r: JSON.stringify(revocations), x: String(expiresAt) };
}

/** Shape check of a revocation read back from Redis (never trust a shared store's bytes blindly). */
function isRevocation(value: unknown): value is Revocation {
  if (!isJsonObject(value)) return false;
  if (typeof value.id !== 'string' || typeof value.source !== 'string' || !isFiniteNumber(value.revokedAt) || !isFiniteNumber(value.expiresAt)) {
    return false;
  }
  // Absent for the primary realm (every entry written before several realms existed).
  if (!isOptionalString(value.issuer)) return false;
  switch (value.type) {
    case 'sid':
      return typeof value.sid === 'string';
    case 'adapter-session':
      return typeof value.adapterSessionId === 'string';
    case 'subject':
      return typeof value.sub === 'string' && isFiniteNumber(value.issuedBefore);
    case 'not-before':
      return isFiniteNumber(value.notBefore);
    default:
      return false;
  }
}

/** The valid revocations of an entry's `r` field; undefined when it is not a batch of ours at all. */
export function decodeBatch(raw: unknown): Revocation[] | undefined {
  if (typeof raw !== 'string') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed)) return undefined;
  // Nearly every batch is valid throughout: it is then returned as parsed, without a copy.
  for (const value of parsed as unknown[]) if (!isRevocation(value)) return parsed.filter(isRevocation);
  return parsed as Revocation[];
}

/** Orders two stream ids (`<ms>-<seq>`). */
export function compareStreamIds(a: string, b: string): number {
  const [aMs = 0n, aSeq = 0n] = a.split('-').map(BigInt);
  const [bMs = 0n, bSeq = 0n] = b.split('-').map(BigInt);
  if (aMs !== bMs) return aMs < bMs ? -1 : 1;
  if (aSeq !== bSeq) return aSeq < bSeq ? -1 : 1;
  return 0;
}

/** Largest sequence number of a stream id (both parts are unsigned 64-bit integers). */
const MAX_SEQUENCE = 2n ** 64n - 1n;

/** The smallest id after `id`, for an exclusive XTRIM MINID. */
export function nextStreamId(id: string): string {
  const [ms = 0n, seq = 0n] = id.split('-').map(BigInt);
  // Past the largest sequence comes the next millisecond (Redis refuses a larger sequence).
  return seq < MAX_SEQUENCE ? `${ms}-${seq + 1n}` : `${ms + 1n}-0`;
}
