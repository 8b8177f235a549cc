import type { KeycloakLoginRecord } from './keycloak-login-record.interface.js';
import type { KeycloakSessionData } from './keycloak-session-data.interface.js';
import type { RequestWithSessionStoreRef } from './session-store.interface.js';
import { LoginFailedError } from '../errors/login-failed.error.js';

type SessionCallback = (error?: unknown) => void;

/** The parts of an express-session (or @fastify/session) session the browser flows use. */
export interface SessionObject extends Record<string, unknown> {
  regenerate?(callback: SessionCallback): unknown;
  save?(callback: SessionCallback): unknown;
  destroy?(callback: SessionCallback): unknown;
  /** @fastify/session's id. */
  sessionId?: string;
  /** The session cookie's settings; its `maxAge` (ms) also bounds the stored session's life. */
  cookie?: unknown;
}

/** A request with a server-side session (express-session or @fastify/session), as the library reads it. */
export interface SessionRequest extends RequestWithSessionStoreRef {
  /** express-session's id. */
  sessionID?: string;
  session?: SessionObject;
  query?: unknown;
  body?: unknown;
  headers: Record<string, string | string[] | undefined>;
  /** The login record, set by KeycloakSessionGuard for `@CurrentSession()`. */
  keycloakSession?: KeycloakSessionData;
}

/** The login record kept in the session under `property`, when it has the required shape. */
export function readLoginRecord(session: SessionObject | undefined, property: string): (KeycloakSessionData & Partial<KeycloakLoginRecord>) | undefined {
  const value = session?.[property];
  if (typeof value !== 'object' || value === null) return undefined;
  const data = value as Record<string, unknown>;
  if (typeof data.sub !== 'string' || typeof data.issuedAt !== 'number' || (data.sid !== undefined && typeof data.sid !== 'string')) return undefined;
  return data as KeycloakSessionData & Partial<KeycloakLoginRecord>;
}

/** The request's session, or a configuration error naming the missing middleware. */
export function requireSession(request: SessionRequest): SessionObject {
  const session = request.session;
  if (typeof session !== 'object' || session === null || typeof session.regenerate !== 'function' || typeof session.save !== 'function') {
    throw new LoginFailedError(
      'misconfigured',
      'the login and logout routes need a server-side session: register express-session middleware before the app listens',
    );
  }
  return session;
}

/** The app's session id: express-session's `req.sessionID`, or @fastify/session's `session.sessionId`. */
export function sessionIdOf(request: SessionRequest): string | undefined {
  return request.sessionID ?? request.session?.sessionId;
}

/** Calls a session method that takes a node-style callback (express-session) or returns a promise (@fastify/session). */
function callSession(session: SessionObject, method: 'regenerate' | 'save' | 'destroy'): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let done = false;
    const finish = (error?: unknown) => {
      if (done) return;
      done = true;
      if (error) reject(error instanceof Error ? error : new Error(typeof error === 'string' ? error : `session ${method} failed`));
      else resolve();
    };
    try {
      const result = session[method]?.(finish);
      if (result instanceof Promise) result.then(() => finish(), finish);
    } catch (error) {
      finish(error);
    }
  });
}

/** Replaces the session with an empty one under a new id (the old one is destroyed in the store). */
export async function regenerateSession(request: SessionRequest): Promise<SessionObject> {
  await callSession(requireSession(request), 'regenerate');
  return requireSession(request);
}

/** Ends the session: removed from its store, its cookie no longer names a session. */
export function destroySession(request: SessionRequest): Promise<void> {
  const session = request.session;
  if (typeof session?.destroy !== 'function') return Promise.resolve();
  return callSession(session, 'destroy');
}

/** Writes the session to its store now, so that the browser's next request finds it. */
export function saveSession(request: SessionRequest): Promise<void> {
  return callSession(requireSession(request), 'save');
}

/**
 * Shortens the session's lifetime to at most `maxAgeMs` from now: the cookie's max age, which
 * express-session and @fastify/session stores also use as the stored session's expiry. A
 * session whose cookie has no max age (a browser-session cookie) would otherwise never expire
 * in the store.
 */
export function limitSessionLifetime(session: SessionObject, maxAgeMs: number): void {
  const cookie = session.cookie;
  if (typeof cookie !== 'object' || cookie === null) return;
  const current = (cookie as { maxAge?: unknown }).maxAge;
  if (typeof current === 'number' && current > 0 && current <= maxAgeMs) return;
  (cookie as { maxAge?: number }).maxAge = maxAgeMs;
}
