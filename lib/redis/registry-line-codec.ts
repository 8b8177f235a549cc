import type { SessionRecord } from '../registry/session-record.interface.js';

/*
 * The lines of a registry bucket (a Redis string, see RedisSessionRegistry): fields separated by
 * one space, each line ended by a newline, the second field the line's expiry in epoch seconds,
 * base 36 (what the bucket's Lua script reads).
 *
 *   record:  <a|k><id> <expiry> <sid> <sub> <clientId> <expiresAt> <issuedAt>[ <issuer>]
 *   index:   i<index fingerprint><member fingerprint> <expiry>
 *
 * A record is named by its member: `a` and the app session id, or `k` and the sid when it has no
 * app session id (its sid field is then empty). An absent sid is an empty field. `expiresAt` is
 * written as its distance below the expiry (0 unless capped at a year), `issuedAt` as its
 * distance below `expiresAt` (the session's lifetime), both base 36; a number that is not a safe
 * integer is written whole after `=`. An index line points from a sid or a sub (`s`/`u` + id,
 * fingerprinted, registry-address.ts) to a record's member fingerprint, which says its bucket.
 */

/** Characters a field keeps as they are: printable ASCII but `%`. Any other is `%` and its UTF-16 code unit in 4 hex digits. */
const PLAIN = /^[!-$&-~]+$/;
const ESCAPED = /^(?:[!-$&-~]|%[0-9a-f]{4})+$/;
const BASE36 = /^-?[0-9a-z]{1,11}$/;
const DECIMAL = /^-?\d+(?:\.\d+)?(?:e[+-]\d+)?$/;
const FINGERPRINT = /^[\w-]{8}$/;

/** A field that holds any string: spaces, newlines and non-ASCII escaped, the empty string `%`. */
export function escapeField(value: string): string {
  if (PLAIN.test(value)) return value;
  if (value === '') return '%';
  return value.replace(/[^!-$&-~]/g, (unit) => `%${unit.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** The string a field holds; undefined when it is not a field escapeField() writes. */
export function unescapeField(field: string): string | undefined {
  if (PLAIN.test(field)) return field;
  if (field === '%') return '';
  if (!ESCAPED.test(field)) return undefined;
  const value = field.replace(/%([0-9a-f]{4})/g, (_, unit: string) => String.fromCharCode(parseInt(unit, 16)));
  // One spelling per string, so that a line is found by its own text.
  return escapeField(value) === field ? value : undefined;
}

/** A record's name in the registry: `a` and its app session id, else `k` and its sid. */
export function memberName(record: Pick<SessionRecord, 'adapterSessionId' | 'sid'>): string | undefined {
  if (record.adapterSessionId !== undefined) return `a${record.adapterSessionId}`;
  if (record.sid !== undefined) return `k${record.sid}`;
  return undefined;
}

/** How the line of a member's record starts (its first field and the space after it). */
export function memberPrefix(member: string): string {
  return `${member[0]}${escapeField(member.slice(1))} `;
}

/** How the index lines of an index start (the index fingerprint: the group the per-user cap counts). */
export function indexPrefix(indexFingerprint: string): string {
  return `i${indexFingerprint}`;
}

/** How one index line starts whatever its expiry: it names one member in one index. */
export function indexEntryPrefix(indexFingerprint: string, memberFingerprint: string): string {
  return `i${indexFingerprint}${memberFingerprint} `;
}

const expiryField = (expiry: number) => expiry.toString(36);

function decodeExpiry(field: string): number | undefined {
  if (!BASE36.test(field) || field.startsWith('-')) return undefined;
  const expiry = parseInt(field, 36);
  return Number.isSafeInteger(expiry) ? expiry : undefined;
}

/** `value` as its distance below `base`, or whole after `=` when that is not an exact integer. */
function relativeField(value: number, base: number): string {
  return Number.isSafeInteger(value) && Number.isSafeInteger(base - value) ? (base - value).toString(36) : `=${String(value)}`;
}

function decodeRelative(field: string, base: number): number | undefined {
  if (field.startsWith('=')) {
    const whole = field.slice(1);
    return DECIMAL.test(whole) && Number.isFinite(Number(whole)) ? Number(whole) : undefined;
  }
  if (!BASE36.test(field)) return undefined;
  const value = base - parseInt(field, 36);
  return Number.isSafeInteger(value) ? value : undefined;
}

/** A record's line; `expiry` (epoch seconds) is when it leaves the registry. */
export function encodeRecordLine(record: SessionRecord, expiry: number): string {
  const member = memberName(record);
  if (member === undefined) throw new TypeError('a session record needs an adapterSessionId or a sid');
  const sid = member.startsWith('k') || record.sid === undefined ? '' : escapeField(record.sid);
  const fields = [
    memberPrefix(member).slice(0, -1),
    expiryField(expiry),
    sid,
    escapeField(record.sub),
    escapeField(record.clientId),
    relativeField(record.expiresAt, expiry),
    relativeField(record.issuedAt, record.expiresAt),
  ];
  if (record.issuer !== undefined) fields.push(escapeField(record.issuer));
  return fields.join(' ');
}

export interface StoredRecord {
  record: SessionRecord;
  /** Its member name (memberName). */
  member: string;
  /** Epoch seconds. */
  expiry: number;
}

function decodeHead(name: string, expiryText: string): Omit<StoredRecord, 'record'> | undefined {
  const kind = name[0];
  const id = unescapeField(name.slice(1));
  const expiry = decodeExpiry(expiryText);
  if ((kind !== 'a' && kind !== 'k') || id === undefined || expiry === undefined) return undefined;
  return { member: `${kind}${id}`, expiry };
}

/** A record line's member and expiry, readable even when the rest of the line is not (a later version's line). */
export function decodeRecordHead(line: string): Omit<StoredRecord, 'record'> | undefined {
  const [name = '', expiryText = ''] = line.split(' ', 2);
  return decodeHead(name, expiryText);
}

/** The record a line holds; undefined for a line that is not a well-formed record line (a shared store's bytes are not trusted). */
export function decodeRecordLine(line: string): StoredRecord | undefined {
  const fields = line.split(' ');
  if (fields.length !== 7 && fields.length !== 8) return undefined;
  const [name = '', expiryText = '', sidText = '', subText = '', clientText = '', expiresText = '', issuedText = '', issuerText] = fields;
  const head = decodeHead(name, expiryText);
  const sub = unescapeField(subText);
  const clientId = unescapeField(clientText);
  const issuer = issuerText === undefined ? undefined : unescapeField(issuerText);
  if (head === undefined || sub === undefined || clientId === undefined || (issuerText !== undefined && issuer === undefined)) return undefined;
  const kind = head.member[0];
  const id = head.member.slice(1);
  // A `k` record's sid is its id; an `a` record's is its own field, empty when it has none.
  const sid = kind === 'k' ? (sidText === '' ? id : undefined) : sidText === '' ? null : unescapeField(sidText);
  const expiresAt = decodeRelative(expiresText, head.expiry);
  const issuedAt = expiresAt === undefined ? undefined : decodeRelative(issuedText, expiresAt);
  if (sid === undefined || expiresAt === undefined || issuedAt === undefined) return undefined;
  const record: SessionRecord = { sub, clientId, issuedAt, expiresAt };
  if (kind === 'a') record.adapterSessionId = id;
  if (sid !== null) record.sid = sid;
  if (issuer !== undefined) record.issuer = issuer;
  return { record, ...head };
}

export function encodeIndexLine(indexFingerprint: string, memberFingerprint: string, expiry: number): string {
  return `${indexEntryPrefix(indexFingerprint, memberFingerprint)}${expiryField(expiry)}`;
}

export interface IndexEntry {
  index: string;
  member: string;
  /** Epoch seconds. */
  expiry: number;
  line: string;
}

/** The entry an index line holds; undefined for anything else. */
export function decodeIndexLine(line: string): IndexEntry | undefined {
  if (line[0] !== 'i' || line[17] !== ' ') return undefined;
  const index = line.slice(1, 9);
  const member = line.slice(9, 17);
  const expiry = decodeExpiry(line.slice(18));
  if (!FINGERPRINT.test(index) || !FINGERPRINT.test(member) || expiry === undefined) return undefined;
  return { index, member, expiry, line };
}

/** The lines of a bucket that start with `prefix`. */
export function linesStartingWith(bucket: string, prefix: string): string[] {
  const lines: string[] = [];
  for (let at = bucket.indexOf(prefix); at !== -1; at = bucket.indexOf(prefix, at + 1)) {
    if (at > 0 && bucket[at - 1] !== '\n') continue;
    const end = bucket.indexOf('\n', at);
    lines.push(bucket.slice(at, end === -1 ? undefined : end));
  }
  return lines;
}

/** The lines of a bucket that contain `text` (each once). */
export function linesContaining(bucket: string, text: string): string[] {
  const lines: string[] = [];
  for (let at = bucket.indexOf(text); at !== -1; ) {
    const start = bucket.lastIndexOf('\n', at) + 1;
    const end = bucket.indexOf('\n', at);
    lines.push(bucket.slice(start, end === -1 ? undefined : end));
    if (end === -1) break;
    at = bucket.indexOf(text, end + 1);
  }
  return lines;
}
