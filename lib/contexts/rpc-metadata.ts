import type { ExecutionContext } from '@nestjs/common';
import { headerValue } from './header-bag.js';

/**
 * A header of the incoming microservice message, from its RPC context (`context.getArgs()[1]`):
 * NATS headers (`NatsContext.getHeaders()`, set by the client with a `NatsRecord`), or the
 * packet metadata of transports without headers (`TcpContext.getMetadata()`, set by the
 * client's `setOnDispatchHook`). Read structurally, so `@nestjs/microservices` is not imported.
 */
export function rpcHeader(context: Pick<ExecutionContext, 'getArgs'>, name: string): string | undefined {
  const rpcContext = context.getArgs<unknown[]>()[1] as { getHeaders?: unknown; getMetadata?: unknown } | undefined;
  if (typeof rpcContext !== 'object' || rpcContext === null) return undefined;
  for (const reader of [rpcContext.getHeaders, rpcContext.getMetadata]) {
    if (typeof reader !== 'function') continue;
    const value = headerValue((reader as () => unknown).call(rpcContext), name);
    if (value !== undefined) return value;
  }
  return undefined;
}
