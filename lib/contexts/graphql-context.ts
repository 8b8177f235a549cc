import type { ExecutionContext } from '@nestjs/common';
import type { HeaderBag } from './header-bag.js';

/**
 * A GraphQL resolver's arguments, read structurally from `context.getArgs()` (`[root, args,
 * context, info]`, as graphql-js calls resolvers) so that `@nestjs/graphql` is not imported.
 */
export interface GraphqlCall {
  /** The GraphQL context object: one per operation (per HTTP request, or per subscription). */
  context: Record<string, unknown>;
  /** The resolver's `info`; one object per operation and field, used to recognise a subscription. */
  info: object | undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

export function graphqlCallOf(context: Pick<ExecutionContext, 'getArgs'>): GraphqlCall {
  const args = context.getArgs<unknown[]>();
  const graphqlContext = isObject(args[2]) ? args[2] : {};
  return { context: graphqlContext, info: isObject(args[3]) ? args[3] : undefined };
}

/** Whether the resolver runs for a subscription operation (graphql-js `info.operation.operation`). */
export function isSubscription(info: object | undefined): boolean {
  const operation = isObject(info) ? info.operation : undefined;
  return isObject(operation) && operation.operation === 'subscription';
}

function hasHeaders(value: unknown): value is { headers: HeaderBag } {
  return isObject(value) && isObject(value.headers);
}

/**
 * The HTTP request behind a GraphQL operation: `req` (Apollo and Mercurius under Nest; for a
 * graphql-ws subscription under Apollo it is the graphql-ws context, whose `extra.request` is
 * the WebSocket upgrade request), Mercurius' `reply.request`, or `request`.
 */
export function graphqlRequestOf(context: Record<string, unknown>): ({ headers: HeaderBag } & Record<string, unknown>) | undefined {
  const req = context.req;
  const candidates = [req, isObject(req) && isObject(req.extra) ? req.extra.request : undefined, isObject(context.extra) ? context.extra.request : undefined, isObject(context.reply) ? context.reply.request : undefined, context.request];
  return candidates.find(hasHeaders);
}

/**
 * The `connectionParams` of a graphql-ws subscription (the `connection_init` payload): on the
 * context itself (an app's `context: ({ connectionParams }) => …`), on `req` (Apollo's default
 * context puts the graphql-ws context there), or Mercurius' `_connectionInit`.
 */
export function connectionParamsOf(context: Record<string, unknown>): Record<string, unknown> | undefined {
  const req = context.req;
  const candidates = [context.connectionParams, isObject(req) ? req.connectionParams : undefined, context._connectionInit];
  return candidates.find(isObject);
}
