import type { ExecutionContext } from '@nestjs/common';
import type { HeaderBag } from './header-bag.js';

/*
 * A GraphQL resolver's arguments are read structurally, `[root, args, context, info]` as
 * graphql-js calls resolvers, so that `@nestjs/graphql` is not imported. The guards read them on
 * every operation, so nothing here allocates on the way to an answer: no argument list, no
 * list of candidates (bench/RESULTS.md section 10).
 */

type GraphqlArgs = Pick<ExecutionContext, 'getArgByIndex'>;
type HttpRequestLike = { headers: HeaderBag } & Record<string, unknown>;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/**
 * The GraphQL context object: one per operation (per HTTP request, or per subscription). A
 * resolver called without one gets an empty object, a place for this call only.
 */
export function graphqlContextOf(context: GraphqlArgs): Record<string, unknown> {
  const value: unknown = context.getArgByIndex(2);
  return isObject(value) ? value : {};
}

/** The resolver's `info`: one object per operation and field, which tells a subscription apart. */
export function graphqlInfoOf(context: GraphqlArgs): object | undefined {
  const value: unknown = context.getArgByIndex(3);
  return isObject(value) ? value : undefined;
}

/** Whether the resolver runs for a subscription operation (graphql-js `info.operation.operation`). */
export function isSubscription(info: object | undefined): boolean {
  const operation = isObject(info) ? info.operation : undefined;
  return isObject(operation) && operation.operation === 'subscription';
}

/** `value` when it is an object with a `headers` object, else undefined. */
function withHeaders(value: unknown): HttpRequestLike | undefined {
  return isObject(value) && isObject(value.headers) ? (value as HttpRequestLike) : undefined;
}

/** `holder.request` when `holder` is an object and that is a request with headers. */
function requestIn(holder: unknown): HttpRequestLike | undefined {
  return isObject(holder) ? withHeaders(holder.request) : undefined;
}

/**
 * The HTTP request behind a GraphQL operation, the first of: `req` (Apollo and Mercurius under
 * Nest), `req.extra.request` (for a graphql-ws subscription under Apollo, `req` is the graphql-ws
 * context and this is the WebSocket upgrade request), `extra.request`, Mercurius'
 * `reply.request`, `request`.
 */
export function graphqlRequestOf(context: Record<string, unknown>): HttpRequestLike | undefined {
  const req = context.req;
  return (
    withHeaders(req) ??
    (isObject(req) ? requestIn(req.extra) : undefined) ??
    requestIn(context.extra) ??
    requestIn(context.reply) ??
    withHeaders(context.request)
  );
}

/**
 * The `connectionParams` of a graphql-ws subscription (the `connection_init` payload), the
 * first object of: the context's own (an app's `context: ({ connectionParams }) => …`), on
 * `req` (Apollo's default context puts the graphql-ws context there), Mercurius'
 * `_connectionInit`.
 */
export function connectionParamsOf(context: Record<string, unknown>): Record<string, unknown> | undefined {
  if (isObject(context.connectionParams)) return context.connectionParams;
  const req = context.req;
  if (isObject(req) && isObject(req.connectionParams)) return req.connectionParams;
  return isObject(context._connectionInit) ? context._connectionInit : undefined;
}
