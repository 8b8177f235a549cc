/**
 * The part of a server-side session store the library uses: express-session's `Store` and
 * @fastify/session's store both have it (node-style callback; a returned promise is awaited too).
 */
export interface SessionStoreLike {
  destroy(sessionId: string, callback: (error?: unknown) => void): unknown;
}

/** A request that may carry its session store, as express-session and @fastify/session set it. */
export interface RequestWithSessionStoreRef {
  sessionStore?: unknown;
}

export function isSessionStore(value: unknown): value is SessionStoreLike {
  return typeof value === 'object' && value !== null && typeof (value as { destroy?: unknown }).destroy === 'function';
}
