import { describe, expect, it } from 'vitest';
import type { Revocation } from '../revocation/revocation.interface.js';
import { LiveConnectionRegistry } from './live-connection-registry.service.js';
import type { TrackedConnection } from './live-connection.interface.js';

function connection(subject: TrackedConnection['subject'], kind: TrackedConnection['kind'] = 'websocket'): TrackedConnection {
  return { kind, context: 'ws', subject, client: {}, close: () => undefined };
}

function revocation(body: Record<string, unknown>): Revocation {
  return { id: 'r', source: 'api', revokedAt: 0, expiresAt: 1, ...body } as Revocation;
}

describe('LiveConnectionRegistry', () => {
  const registry = new LiveConnectionRegistry();
  const a = connection({ sid: 's1', sub: 'alice', iat: 100, adapterSessionId: 'app-1' });
  const b = connection({ sid: 's2', sub: 'alice', iat: 200 }, 'sse');
  const c = connection({ sid: 's3', sub: 'bob', iat: 150 }, 'graphql-subscription');
  const unregister = [a, b, c].map((entry) => registry.register(entry));

  it('finds the connections of a sid, an app session, a watermark (iat at or before) and a not-before (iat before)', () => {
    expect(registry.matching(revocation({ type: 'sid', sid: 's2' }))).toEqual([b]);
    expect(registry.matching(revocation({ type: 'adapter-session', adapterSessionId: 'app-1' }))).toEqual([a]);
    expect(registry.matching(revocation({ type: 'subject', sub: 'alice', issuedBefore: 150 }))).toEqual([a]);
    expect(registry.matching(revocation({ type: 'subject', sub: 'alice', issuedBefore: 200 }))).toEqual([a, b]);
    expect(registry.matching(revocation({ type: 'not-before', notBefore: 150 }))).toEqual([a]);
    expect(registry.matching(revocation({ type: 'sid', sid: 'unknown' }))).toEqual([]);
  });

  it('counts per kind, and leaves no index key behind once every connection is removed', () => {
    expect(registry.stats()).toEqual({ total: 3, byKind: { websocket: 1, sse: 1, 'graphql-subscription': 1 }, indexKeys: 3 + 2 + 1 });
    for (const remove of unregister) remove();
    unregister[0]!();
    expect(registry.stats()).toEqual({ total: 0, byKind: { websocket: 0, sse: 0, 'graphql-subscription': 0 }, indexKeys: 0 });
    expect(registry.matching(revocation({ type: 'not-before', notBefore: 1_000 }))).toEqual([]);
  });
});
