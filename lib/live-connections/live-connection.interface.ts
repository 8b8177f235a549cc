import type { ContextKind } from '../contexts/context-kind.js';
import type { LogoutEvent } from '../revocation/logout-event.interface.js';
import type { RevocationSubject } from '../revocation/revocation.interface.js';

/** A connection kept open after the guard admitted it, which a logout must end. */
export type LiveConnectionKind = 'websocket' | 'graphql-subscription' | 'sse';

/** What an app's `beforeClose` hook is told about a connection a logout is about to close. */
export interface LiveConnection {
  readonly kind: LiveConnectionKind;
  /** The execution context that admitted it. */
  readonly context: ContextKind;
  /** Who it belongs to: the admitted token's or session's `sid`, `sub`, `iat`, app session id. */
  readonly subject: Readonly<RevocationSubject>;
  /**
   * The connection itself: the socket.io `Socket` or `ws` WebSocket, the GraphQL context of the
   * subscription, or the HTTP request of the SSE stream.
   */
  readonly client: unknown;
}

/** A registered connection: what it is, and how a logout ends it. */
export interface TrackedConnection extends LiveConnection {
  close(event: LogoutEvent, reason: string): void | Promise<void>;
}
