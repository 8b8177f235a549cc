import { SessionRegistry } from './session-registry.js';
import type { SessionRecord } from './session-record.interface.js';

const PRUNE_INTERVAL_MS = 60_000;

/** One member, or several: most sids and users have a single session, which then costs no Set. */
type Members = SessionRecord | Set<SessionRecord>;

function add(index: Map<string, Members>, key: string, record: SessionRecord): void {
  const current = index.get(key);
  if (current === undefined) index.set(key, record);
  else if (current instanceof Set) current.add(record);
  else if (current !== record) index.set(key, new Set([current, record]));
}

function drop(index: Map<string, Members>, key: string, record: SessionRecord): void {
  const current = index.get(key);
  if (current === record) index.delete(key);
  else if (current instanceof Set) {
    current.delete(record);
    if (current.size === 0) index.delete(key);
  }
}

/**
 * A SessionRegistry in plain Maps, for one process that keeps many sessions: about a sixth of
 * the memory of the default cache-manager registry per session (see bench/RESULTS.md), at the
 * price of being local to the process. Records live until their own `expiresAt`. Opt in with
 * `sessionRegistry: new MemorySessionRegistry()`.
 */
export class MemorySessionRegistry extends SessionRegistry {
  private readonly byAdapterSession = new Map<string, SessionRecord>();
  /** Records that have only a Keycloak sid (no app session id). */
  private readonly sidOnly = new Map<string, SessionRecord>();
  private readonly bySid = new Map<string, Members>();
  private readonly bySub = new Map<string, Members>();
  /** One-time token ids and when they may be forgotten (epoch ms). */
  private readonly claims = new Map<string, number>();
  private readonly timer = setInterval(() => this.prune(), PRUNE_INTERVAL_MS).unref();

  register(record: SessionRecord): Promise<void> {
    if (record.adapterSessionId === undefined && record.sid === undefined) {
      return Promise.reject(new TypeError('a session record needs an adapterSessionId or a sid'));
    }
    if (record.expiresAt * 1000 <= Date.now()) return Promise.resolve();
    // Kept as given: a record lives until its own `expiresAt`.
    const previous = this.primary(record);
    if (previous) this.unindex(previous);
    if (record.adapterSessionId !== undefined) this.byAdapterSession.set(record.adapterSessionId, record);
    else this.sidOnly.set(record.sid as string, record);
    if (record.sid !== undefined) add(this.bySid, record.sid, record);
    add(this.bySub, record.sub, record);
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
    this.claims.set(key, now + Math.max(1, ttlMs));
    return Promise.resolve(true);
  }

  releaseTokenId(key: string): Promise<void> {
    this.claims.delete(key);
    return Promise.resolve();
  }

  /** Drops expired records and claims; runs every minute. */
  prune(now = Date.now()): void {
    for (const record of [...this.byAdapterSession.values(), ...this.sidOnly.values()]) {
      if (record.expiresAt * 1000 <= now) this.unindex(record);
    }
    for (const [key, until] of this.claims) if (until <= now) this.claims.delete(key);
  }

  /** Stops the prune timer (it is unref'd, so this is only needed for tidy tests). */
  close(): void {
    clearInterval(this.timer);
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
    const all = entry instanceof Set ? [...entry] : [entry];
    return all.filter((record) => this.live(record));
  }
}
