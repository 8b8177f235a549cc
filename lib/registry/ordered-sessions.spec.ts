import { describe, expect, it } from 'vitest';
import { OrderedSessions } from './ordered-sessions.js';
import type { SessionRecord } from './session-record.interface.js';

const make = (sid: string): SessionRecord => ({ sid, sub: 'alice', clientId: 'app', issuedAt: 0, expiresAt: 1 });

describe('OrderedSessions', () => {
  it('keeps registration order through deletes, ignores duplicates, and names the oldest live member', () => {
    const [a, b, c, d] = ['a', 'b', 'c', 'd'].map(make) as [SessionRecord, SessionRecord, SessionRecord, SessionRecord];
    const sessions = new OrderedSessions([a, b]);
    sessions.add(c);
    sessions.add(a); // already present: keeps its place
    expect([...sessions.values()]).toEqual([a, b, c]);
    expect(sessions.oldest()).toBe(a);
    sessions.delete(a);
    sessions.delete(b);
    expect(sessions.oldest()).toBe(c);
    sessions.add(a); // added again: now the newest
    sessions.add(d);
    expect([...sessions.values()]).toEqual([c, a, d]);
    expect(sessions.size).toBe(3);
    for (const member of [c, a, d]) sessions.delete(member);
    expect(sessions.oldest()).toBeUndefined();
    expect(sessions.size).toBe(0);
  });
});
