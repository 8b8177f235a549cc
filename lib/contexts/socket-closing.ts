/**
 * Closing a WebSocket client of either Nest adapter, and knowing when it closed.
 *
 * - `ws`: the client is the WebSocket; a message is a JSON `{ event, data }` frame (the shape
 *   Nest's `WsAdapter` and `BaseWsExceptionFilter` use), then a close frame with the code.
 * - socket.io: the client is a `Socket`; the message is an event, then a server-side
 *   disconnect, which the socket.io client does not retry (reason `io server disconnect`).
 */
interface NativeSocket {
  readyState: number;
  send(data: string): void;
  close(code: number, reason: string): void;
  once(event: 'close', listener: () => void): void;
}

interface SocketIoSocket {
  connected: boolean;
  emit(event: string, payload: unknown): unknown;
  disconnect(close: boolean): unknown;
  once(event: 'disconnect', listener: () => void): void;
}

/** RFC 6455 §7.4.1: a close reason is at most 123 bytes. */
const MAX_REASON_BYTES = 123;
const OPEN = 1;

function isNative(client: unknown): client is NativeSocket {
  const socket = client as Partial<NativeSocket> | null;
  return typeof socket === 'object' && socket !== null && typeof socket.readyState === 'number' && typeof socket.close === 'function' && typeof socket.send === 'function';
}

function isSocketIo(client: unknown): client is SocketIoSocket {
  const socket = client as Partial<SocketIoSocket> | null;
  return typeof socket === 'object' && socket !== null && typeof socket.disconnect === 'function' && typeof socket.emit === 'function';
}

function shortReason(reason: string): string {
  const bytes = Buffer.from(reason);
  return bytes.length <= MAX_REASON_BYTES ? reason : bytes.subarray(0, MAX_REASON_BYTES).toString().replace(/\uFFFD+$/, '');
}

/** Whether the client is a WebSocket client this library can close. */
export function isClosableSocket(client: unknown): boolean {
  return isNative(client) || isSocketIo(client);
}

export function isSocketOpen(client: unknown): boolean {
  if (isNative(client)) return client.readyState === OPEN;
  if (isSocketIo(client)) return client.connected;
  return false;
}

/** Sends `event` with `payload` (when given), then closes the connection with `code` and `reason`. */
export function closeSocket(client: unknown, code: number, reason: string, message?: { event: string; payload: unknown }): void {
  if (isNative(client)) {
    if (message !== undefined && client.readyState === OPEN) client.send(JSON.stringify({ event: message.event, data: message.payload }));
    client.close(code, shortReason(reason));
  } else if (isSocketIo(client)) {
    if (message !== undefined) client.emit(message.event, message.payload);
    client.disconnect(true);
  }
}

/** Calls `listener` once the client's connection has closed, whoever closed it. */
export function onSocketClosed(client: unknown, listener: () => void): void {
  if (isNative(client)) client.once('close', listener);
  else if (isSocketIo(client)) client.once('disconnect', listener);
}
