import type { ExecutionContext } from '@nestjs/common';

/**
 * An execution context for a WebSocket connection being opened, shaped like the one Nest builds
 * for a gateway's message handlers (`getType()` `ws`, `getArgs()` `[client, data]`), so that
 * the guards read the handshake, `@Public()` and `@KeepOpenAtLogout()` (on the gateway class or
 * its `handleConnection`) the same way at the handshake as for messages.
 */
export function handshakeContext(gateway: object, client: object): ExecutionContext {
  const args: unknown[] = [client, undefined];
  const handler = (gateway as { handleConnection?: unknown }).handleConnection;
  const context: ExecutionContext = {
    getType: <T extends string>() => 'ws' as T,
    getClass: <T>() => gateway.constructor as T,
    // Reflector reads metadata from functions; a gateway without handleConnection has none to read.
    getHandler: () => (typeof handler === 'function' ? (handler) : () => undefined),
    getArgs: <T extends unknown[]>() => args as T,
    getArgByIndex: <T>(index: number) => args[index] as T,
    switchToWs: () => ({ getClient: <T>() => client as T, getData: <T>() => undefined as T, getPattern: () => '' }),
    switchToHttp: () => {
      throw new Error('a WebSocket handshake has no HTTP context');
    },
    switchToRpc: () => {
      throw new Error('a WebSocket handshake has no RPC context');
    },
  };
  return context;
}
