import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';

/**
 * The demo's explanation of a logout (sample/src/demo-events/logout-explanation.ts), for every
 * path the library reports, with and without the IdP's record of who started it. Loaded from
 * the built sample, as the demo runs it (the sample compiles against the library's package).
 */
interface Revocation {
  id: string;
  type: 'sid' | 'subject' | 'adapter-session' | 'not-before';
  source: 'backchannel-logout' | 'keycloak-admin' | 'frontchannel-logout' | 'rp-logout' | 'api';
  revokedAt: number;
  expiresAt: number;
  [field: string]: unknown;
}
type Lookup = (ended: { sid?: string; sub?: string }) => { initiatedBy?: string; at: number } | undefined;
type Explain = (
  event: { revocation: Revocation; sessions: Array<{ sid?: string; sub: string }>; revokeOfflineAccess: boolean },
  appName: string,
  lookup?: Lookup,
) => Record<string, unknown>;

const built = join(import.meta.dirname, '..', '..', 'sample', 'dist', 'src', 'demo-events', 'logout-explanation.js');
const fingerprint = (sid: string) => createHash('sha256').update(sid).digest('hex').slice(0, 8);
const AT = 1_800_000_000_000;

function event(revocation: Partial<Revocation> & Pick<Revocation, 'type' | 'source'>, sessions: Array<{ sid?: string; sub: string }> = []) {
  return { revocation: { id: 'r1', revokedAt: AT, expiresAt: AT + 36_000_000, ...revocation } as Revocation, sessions, revokeOfflineAccess: false };
}

describe('the demo\'s logout explanation', () => {
  let explain: Explain;

  beforeAll(async () => {
    expect(existsSync(built), 'build the sample first: npm run sample:build').toBe(true);
    const specifier = built;
    explain = ((await import(specifier)) as { explainLogout: Explain }).explainLogout;
  });

  it('names a back-channel logout, the client that started it and the delay, from the IdP\'s record', () => {
    const lookup = vi.fn<Lookup>(() => ({ initiatedBy: 'app-a', at: AT - 42 }));
    expect(explain(event({ type: 'sid', source: 'backchannel-logout', sid: 'session-1' }), 'app-b', lookup)).toEqual({
      path: 'backchannel-logout',
      pathLabel: 'back-channel logout',
      revoked: 'sid',
      initiatedBy: 'app-a',
      at: AT,
      afterMs: 42,
      session: fingerprint('session-1'),
    });
    expect(lookup).toHaveBeenCalledWith({ sid: 'session-1' });
  });

  it('says "identity provider" for a logout no client asked for, and never a negative delay', () => {
    const explained = explain(event({ type: 'sid', source: 'backchannel-logout', sid: 's' }), 'app-b', () => ({ at: AT + 5 }));
    expect(explained).toMatchObject({ initiatedBy: 'identity provider', afterMs: 0 });
  });

  it('leaves origin and delay unknown without the IdP\'s record (a real Keycloak does not say)', () => {
    expect(explain(event({ type: 'sid', source: 'backchannel-logout', sid: 's' }), 'app-b')).toMatchObject({ initiatedBy: null, afterMs: null });
    expect(explain(event({ type: 'sid', source: 'backchannel-logout', sid: 's' }), 'app-b', () => undefined)).toMatchObject({
      initiatedBy: null,
      afterMs: null,
    });
  });

  it('tells Keycloak\'s two Admin URL actions apart', () => {
    const logout = explain(event({ type: 'adapter-session', source: 'keycloak-admin', adapterSessionId: 'a1' }, [{ sid: 'kc-1', sub: 'u' }]), 'app-b');
    expect(logout).toMatchObject({ path: 'k_logout', pathLabel: "Keycloak's k_logout (Admin URL)", revoked: 'adapter-session', session: fingerprint('kc-1') });
    const push = explain(event({ type: 'not-before', source: 'keycloak-admin', notBefore: 1 }), 'app-b', () => undefined);
    expect(push).toMatchObject({ path: 'k_push_not_before', revoked: 'not-before', session: null, initiatedBy: null });
  });

  it('looks a user-wide logout up by sub, and names the front-channel path', () => {
    const lookup = vi.fn<Lookup>(() => undefined);
    expect(explain(event({ type: 'subject', source: 'backchannel-logout', sub: 'user-1', issuedBefore: 1 }), 'app-b', lookup)).toMatchObject({ session: null });
    expect(lookup).toHaveBeenCalledWith({ sub: 'user-1' });
    expect(explain(event({ type: 'sid', source: 'frontchannel-logout', sid: 's' }), 'app-b')).toMatchObject({ path: 'frontchannel-logout', pathLabel: 'front-channel logout' });
  });

  it('counts the app\'s own Sign out and logout API as started here, at once, without asking the IdP', () => {
    const lookup = vi.fn<Lookup>(() => ({ initiatedBy: 'someone-else', at: 0 }));
    expect(explain(event({ type: 'sid', source: 'rp-logout', sid: 's' }), 'app-a', lookup)).toMatchObject({
      path: 'rp-logout',
      initiatedBy: 'app-a',
      afterMs: 0,
    });
    expect(explain(event({ type: 'sid', source: 'api', sid: 's' }), 'app-a', lookup)).toMatchObject({ path: 'api', initiatedBy: 'app-a' });
    expect(lookup).not.toHaveBeenCalled();
  });
});
