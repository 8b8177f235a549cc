/**
 * The smallest session store the peers accept: an express-session-style store (callback API
 * `get`/`set`/`destroy`) over a Map. express-openid-connect has no built-in store for
 * back-channel logout (it demands one), and keycloak-connect's admin LOGOUT clears grants in
 * the app's session store; both get this one, so neither peer pays for a heavier store.
 */
export class MemorySessionStore {
  readonly sessions = new Map<string, any>();

  get(sid: string, callback: (error: unknown, session?: any) => void): void {
    callback(null, this.sessions.get(sid) ?? null);
  }

  set(sid: string, session: any, callback?: (error?: unknown) => void): void {
    this.sessions.set(sid, session);
    callback?.();
  }

  destroy(sid: string, callback?: (error?: unknown) => void): void {
    this.sessions.delete(sid);
    callback?.();
  }
}
