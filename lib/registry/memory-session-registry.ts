import type { OnModuleDestroy } from '@nestjs/common';
import { checkMaxSessionsPerUser } from './max-sessions-per-user.js';
import { OrderedSessions } from './ordered-sessions.js';
import { SessionRegistry } from './session-registry.js';
import type { SessionRecord } from './session-record.interface.js';

const SWEEP_INTERVAL_MS = 60_000;

export interface MemorySessionRegistryOptions {
  /**
   * Most sessions kept per user (`sub`), 1 to 100000. Default 1000. Registering one more drops
   * that user's oldest registration from the registry (it is not logged out; see the module
   * option of the same name for what a dropped session still gets).
   */
  maxSessionsPerUser?: number;
  /** Seconds a record is kept at most, whatever its `expiresAt`. Default: until its `expiresAt`. */
  sessionTtl?: number;
}

/** One member, or several: most sids and users have a single session, which then costs no collection. */
type Members = SessionRecord | OrderedSessions;

function add(index: Map<string, Members>, key: string, record: SessionRecord): void {
  const current = index.get(key);
  if (current === undefined) index.set(key, record);
  else if (current instanceof OrderedSessions) current.add(record);
  else if (current !== record) index.set(key, new OrderedSessions([current, record]));
}

function drop(index: Map<string, Members>, key: string, record: SessionRecord): void {
  const current = index.get(key);
  if (current === record) index.delete(key);
  else if (current instanceof OrderedSessions) {
    current.delete(record);
    if (current.size === 0) index.delete(key);
  }
}

/**
 * The module's session registry when neither `store` nor `cache` is given: plain Maps in this
 * process, about a sixth of the memory of a cache-manager registry per session (see
 * bench/RESULTS.md). Registering costs O(1) whatever the user's session count, each user keeps
 * at most `maxSessionsPerUser` sessions, and expired records and token claims are swept every
 * minute. Local to the process: for several instances use the Redis registry.
 */
export class MemorySessionRegistry extends SessionRegistry implements OnModuleDestroy {
  private readonly maxSessionsPerUser: number;
  private readonly sessionTtlMs: number | undefined;
  private readonly byAdapterSession = new Map<string, SessionRecord>();
  /** Records that have only a Keycloak sid (no app session id). */
  private readonly sidOnly = new Map<string, SessionRecord>();
  private readonly bySid = new Map<string, Members>();
  private readonly bySub = new Map<string, Members>();
  /** One-time token ids and when they may be forgotten (epoch ms). */
  private readonly claims = new Map<string, number>();
  /** Started by the first write rather than at construction, so close() followed by reuse still sweeps. */
  private sweeper: ReturnType<typeof setInterval> | undefined;

  constructor(options: MemorySessionRegistryOptions = {}) {
    super();
    this.maxSessionsPerUser = checkMaxSessionsPerUser(options.maxSessionsPerUser);
    const { sessionTtl } = options;
    if (sessionTtl !== undefined && (!Number.isInteger(sessionTtl) || sessionTtl < 1)) {
      throw new RangeError(`sessionTtl must be a positive integer (seconds), got ${String(sessionTtl)}`);
    }
    this.sessionTtlMs = sessionTtl === undefined ? undefined : sessionTtl * 1000;
  }

  /** Session records held, expired ones included until the next sweep. */
  get size(): number {
    return this.byAdapterSession.size + this.sidOnly.size;
  }

  register(given: SessionRecord): Promise<void> {
    if (given.adapterSessionId === undefined && given.sid === undefined) {
      return Promise.reject(new TypeError('a session record needs an adapterSessionId or a sid'));
    }
    const record = this.bounded(given);
    if (record.expiresAt * 1000 <= Date.now()) return Promise.resolve();
    this.startSweeping();
    const previous = this.primary(record);
    if (previous) this.unindex(previous);
    if (record.adapterSessionId !== undefined) this.byAdapterSession.set(record.adapterSessionId, record);
    else this.sidOnly.set(record.sid as string, record);
    if (record.sid !== undefined) add(this.bySid, record.sid, record);
    add(this.bySub, record.sub, record);
    this.dropBeyondCap(record.sub);
    return Promise.resolve();
  }

  findByAdapterSessionId(adapterSessionId: string): Promise<SessionRecord | undefined> {
    const record = this.byAdapterSession.get(adapterSessionId);
    return Promise.resolve(record && this.live(record) ? record : undefined);
  }

  findBySid(sid: string): Promise<SessionRecord[]> {
    return Promise.resolve(this.members(this.bySid.get(sid)));
  }

  findBySubject(sub: string): Promise<SessionRecord[]> {
    return Promise.resolve(this.members(this.bySub.get(sub)));
  }

  remove(record: Pick<SessionRecord, 'adapterSessionId' | 'sid'>): Promise<void> {
    const stored = this.primary(record);
    if (stored) this.unindex(stored);
    return Promise.resolve();
  }

  claimTokenId(key: string, ttlMs: number): Promise<boolean> {
    const now = Date.now();
    const until = this.claims.get(key);
    if (until !== undefined && until > now) return Promise.resolve(false);
    this.startSweeping();
    this.claims.set(key, now + Math.max(1, ttlMs));
    return Promise.resolve(true);
  }

  releaseTokenId(key: string): Promise<void> {
    this.claims.delete(key);
    return Promise.resolve();
  }

  /** Drops expired records and claims; the sweep runs it every minute. */
  prune(now = Date.now()): void {
    // Deleting the current entry while iterating a Map is safe, and avoids copying a million records.
    for (const records of [this.byAdapterSession, this.sidOnly]) {
      for (const record of records.values()) if (record.expiresAt * 1000 <= now) this.unindex(record);
    }
    for (const [key, until] of this.claims) if (until <= now) this.claims.delete(key);
  }

  /** Stops the sweep timer (unref'd, so it never holds the process open). A later write restarts it. */
  close(): void {
    clearInterval(this.sweeper);
    this.sweeper = undefined;
  }

  /** Nest calls this at shutdown when this registry is the module's (built by it or passed as `sessionRegistry`). */
  onModuleDestroy(): void {
    this.close();
  }

  private startSweeping(): void {
    this.sweeper ??= setInterval(() => this.prune(), SWEEP_INTERVAL_MS).unref();
  }

  /** The record as given, or a copy expiring `sessionTtl` from now when its own `expiresAt` is later. */
  private bounded(record: SessionRecord): SessionRecord {
    if (this.sessionTtlMs === undefined) return record;
    const latest = Math.floor((Date.now() + this.sessionTtlMs) / 1000);
    return record.expiresAt > latest ? { ...record, expiresAt: latest } : record;
  }

  /** Keeps the user's newest registrations; the dropped ones leave every index (nobody is logged out). */
  private dropBeyondCap(sub: string): void {
    const sessions = this.bySub.get(sub);
    if (!(sessions instanceof OrderedSessions)) return;
    while (sessions.size > this.maxSessionsPerUser) {
      const oldest = sessions.oldest();
      if (oldest === undefined) return;
      this.unindex(oldest);
    }
  }

  private primary(record: Pick<SessionRecord, 'adapterSessionId' | 'sid'>): SessionRecord | undefined {
    if (record.adapterSessionId !== undefined) return this.byAdapterSession.get(record.adapterSessionId);
    return record.sid === undefined ? undefined : this.sidOnly.get(record.sid);
  }

  private unindex(record: SessionRecord): void {
    if (record.adapterSessionId !== undefined) {
      if (this.byAdapterSession.get(record.adapterSessionId) === record) this.byAdapterSession.delete(record.adapterSessionId);
    } else if (record.sid !== undefined && this.sidOnly.get(record.sid) === record) {
      this.sidOnly.delete(record.sid);
    }
    if (record.sid !== undefined) drop(this.bySid, record.sid, record);
    drop(this.bySub, record.sub, record);
  }

  private live(record: SessionRecord): boolean {
    return record.expiresAt * 1000 > Date.now();
  }

  private members(entry: Members | undefined): SessionRecord[] {
    if (entry === undefined) return [];
    const all = entry instanceof OrderedSessions ? [...entry.values()] : [entry];
    return all.filter((record) => this.live(record));
  }
}
