import type { ExecutionContext } from '@nestjs/common';

/**
 * The execution contexts the guards serve: HTTP routes (Express, Fastify), GraphQL resolvers
 * (`@nestjs/graphql`), WebSocket gateways (`@nestjs/websockets`) and microservice handlers
 * (`@nestjs/microservices`).
 */
export type ContextKind = 'http' | 'graphql' | 'ws' | 'rpc';

const KINDS: ReadonlySet<string> = new Set<ContextKind>(['http', 'graphql', 'ws', 'rpc']);

/**
 * Read from `context.getType()`, which `@nestjs/graphql` sets to `graphql`: no import of the
 * optional packages is needed to tell the contexts apart. An unknown type is read as HTTP,
 * where a request without credentials is refused.
 */
export function contextKindOf(context: Pick<ExecutionContext, 'getType'>): ContextKind {
  const type: string = context.getType();
  return KINDS.has(type) ? (type as ContextKind) : 'http';
}
