import { Injectable } from '@nestjs/common';
import type { Revocation } from '../revocation/revocation.interface.js';
import type { LiveConnectionKind, TrackedConnection } from './live-connection.interface.js';

/** A map from a key to the connections carrying it, whose empty sets are dropped (no leak). */
class Index {
  private readonly entries = new Map<string, Set<TrackedConnection>>();

  add(key: string | undefined, connection: TrackedConnection): void {
    if (key === undefined) return;
    const set = this.entries.get(key) ?? new Set<TrackedConnection>();
    set.add(connection);
    this.entries.set(key, set);
  }

  delete(key: string | undefined, connection: TrackedConnection): void {
    if (key === undefined) return;
    const set = this.entries.get(key);
    if (set === undefined) return;
    set.delete(connection);
    if (set.size === 0) this.entries.delete(key);
  }

  get(key: string): TrackedConnection[] {
    return [...(this.entries.get(key) ?? [])];
  }

  get keys(): number {
    return this.entries.size;
  }
}

/**
 * The live connections of this instance (WebSocket clients, GraphQL subscriptions, SSE
 * streams), indexed by `sid`, `sub` and app session id, so that a logout finds the ones it ends
 * without a scan. Filled by the guards when they admit a connection and by `SseStreams`; an
 * entry leaves when its connection closes.
 */
@Injectable()
export class LiveConnectionRegistry {
  private readonly all = new Set<TrackedConnection>();
  private readonly bySid = new Index();
  private readonly bySub = new Index();
  private readonly byAdapterSession = new Index();

  /** Registers a connection; the returned function removes it (call it when the connection closes). */
  register(connection: TrackedConnection): () => void {
    this.all.add(connection);
    this.bySid.add(connection.subject.sid, connection);
    this.bySub.add(connection.subject.sub, connection);
    this.byAdapterSession.add(connection.subject.adapterSessionId, connection);
    return () => this.remove(connection);
  }

  remove(connection: TrackedConnection): void {
    if (!this.all.delete(connection)) return;
    this.bySid.delete(connection.subject.sid, connection);
    this.bySub.delete(connection.subject.sub, connection);
    this.byAdapterSession.delete(connection.subject.adapterSessionId, connection);
  }

  /**
   * The connections a revocation ends, by the revocation store's own rules: the `sid`; the
   * user's connections issued at or before the watermark; the app session; everything issued
   * before a not-before. Only connections of the revocation's own realm: ids are per realm.
   */
  matching(revocation: Revocation): TrackedConnection[] {
    return this.namedBy(revocation).filter((c) => c.subject.issuer === revocation.issuer);
  }

  private namedBy(revocation: Revocation): TrackedConnection[] {
    switch (revocation.type) {
      case 'sid':
        return this.bySid.get(revocation.sid);
      case 'subject':
        return this.bySub.get(revocation.sub).filter((c) => c.subject.iat !== undefined && c.subject.iat <= revocation.issuedBefore);
      case 'adapter-session':
        return this.byAdapterSession.get(revocation.adapterSessionId);
      case 'not-before':
        return [...this.all].filter((c) => c.subject.iat !== undefined && c.subject.iat < revocation.notBefore);
    }
  }

  /** How many connections are registered, in all and per kind, and how many index keys are held. */
  stats(): { total: number; byKind: Record<LiveConnectionKind, number>; indexKeys: number } {
    const byKind: Record<LiveConnectionKind, number> = { websocket: 0, 'graphql-subscription': 0, sse: 0 };
    for (const connection of this.all) byKind[connection.kind] += 1;
    return { total: this.all.size, byKind, indexKeys: this.bySid.keys + this.bySub.keys + this.byAdapterSession.keys };
  }
}
