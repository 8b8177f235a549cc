import type { ExecutionContext } from '@nestjs/common';

/**
 * The WebSocket client of a gateway call: the first argument, which is what
 * `switchToWs().getClient()` returns, without the three closures `switchToWs()` allocates on
 * every call (the guards read the client several times per message).
 */
export function wsClientOf<T = unknown>(context: Pick<ExecutionContext, 'getArgByIndex'>): T {
  return context.getArgByIndex<T>(0);
}
