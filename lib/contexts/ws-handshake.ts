import type { HeaderBag } from './header-bag.js';

/**
 * What a WebSocket connection brought when it opened, for the guards to read on every message.
 * socket.io keeps it on the socket (`handshake`, `request`); a `ws` socket keeps nothing, so
 * its upgrade request is remembered when the gateway admits the connection
 * (`admitConnection(gateway, client, request)`).
 */
export interface WsHandshake {
  headers: HeaderBag;
  /** The request URL (path and query) of the upgrade. */
  url: string | undefined;
  /** socket.io's handshake payload (`io(url, { auth })`). */
  auth: Record<string, unknown> | undefined;
  /** The upgrade request: where express-session middleware puts `session` and `sessionID`. */
  request: (Record<string, unknown> & { headers: HeaderBag }) | undefined;
}

const remembered = new WeakMap<object, Record<string, unknown> & { headers: HeaderBag }>();

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function isRequest(value: unknown): value is Record<string, unknown> & { headers: HeaderBag } {
  return isObject(value) && isObject(value.headers);
}

/** Keeps a `ws` connection's upgrade request, so that later messages can be checked against it. */
export function rememberHandshake(client: object, request: unknown): void {
  if (isRequest(request)) remembered.set(client, request);
}

/** The handshake of a socket.io or `ws` client, or undefined when nothing is known of it. */
export function handshakeOf(client: unknown): WsHandshake | undefined {
  if (!isObject(client)) return undefined;
  const handshake = client.handshake;
  if (isObject(handshake) && isObject(handshake.headers)) {
    return {
      headers: handshake.headers as HeaderBag,
      url: typeof handshake.url === 'string' ? handshake.url : undefined,
      auth: isObject(handshake.auth) ? handshake.auth : undefined,
      request: isRequest(client.request) ? client.request : undefined,
    };
  }
  const request = remembered.get(client) ?? (isRequest(client.upgradeReq) ? client.upgradeReq : undefined);
  if (request === undefined) return undefined;
  return { headers: request.headers, url: typeof request.url === 'string' ? request.url : undefined, auth: undefined, request };
}
