import { describe, expect, it } from 'vitest';
import { connectionParamsOf, graphqlContextOf, graphqlInfoOf, graphqlRequestOf, isSubscription } from './graphql-context.js';

/** A resolver's arguments as graphql-js passes them: root, args, context, info. */
const call = (...args: unknown[]) => ({ getArgByIndex: <T>(index: number) => args[index] as T });
const request = (authorization: string) => ({ headers: { authorization } });

describe('graphql context', () => {
  it('reads the context and info arguments; a resolver without a context object gets a fresh one', () => {
    const context = { req: request('Bearer a') };
    const info = { operation: { operation: 'query' } };
    expect(graphqlContextOf(call({}, {}, context, info))).toBe(context);
    expect(graphqlInfoOf(call({}, {}, context, info))).toBe(info);
    const first = graphqlContextOf(call({}, {}, undefined, 'not an object'));
    expect(first).toEqual({});
    expect(graphqlContextOf(call({}, {}, null))).not.toBe(first);
    expect(graphqlInfoOf(call({}, {}, context, 'not an object'))).toBeUndefined();
  });

  it('tells a subscription from a query or mutation', () => {
    expect(isSubscription({ operation: { operation: 'subscription' } })).toBe(true);
    expect(isSubscription({ operation: { operation: 'query' } })).toBe(false);
    expect(isSubscription({})).toBe(false);
    expect(isSubscription(undefined)).toBe(false);
  });

  describe('the HTTP request behind an operation', () => {
    const ordered = [
      ['req', (r: object) => ({ req: r })],
      ['req.extra.request (graphql-ws under Apollo)', (r: object) => ({ req: { extra: { request: r } } })],
      ['extra.request', (r: object) => ({ extra: { request: r } })],
      ["Mercurius' reply.request", (r: object) => ({ reply: { request: r } })],
      ['request', (r: object) => ({ request: r })],
    ] as const;

    it.each(ordered)('is found at %s', (_where, place) => {
      const expected = request('Bearer x');
      expect(graphqlRequestOf(place(expected))).toBe(expected);
    });

    it('is the first candidate in order when several carry one, and skips what has no headers object', () => {
      const first = request('Bearer first');
      const later = request('Bearer later');
      expect(graphqlRequestOf({ req: first, reply: { request: later }, request: later })).toBe(first);
      expect(graphqlRequestOf({ req: { headers: 'not an object', extra: { request: first } }, request: later })).toBe(first);
      expect(graphqlRequestOf({ extra: { request: { headers: null } }, reply: { request: first } })).toBe(first);
    });

    it('is undefined when no candidate is a request', () => {
      expect(graphqlRequestOf({})).toBeUndefined();
      expect(graphqlRequestOf({ req: 'text', extra: 1, reply: null, request: { headers: undefined } })).toBeUndefined();
    });
  });

  describe('connectionParams of a subscription', () => {
    it('is the first object of: the context own, req.connectionParams, Mercurius _connectionInit', () => {
      const own = { authorization: 'Bearer own' };
      const onReq = { authorization: 'Bearer req' };
      const init = { authorization: 'Bearer init' };
      expect(connectionParamsOf({ connectionParams: own, req: { connectionParams: onReq }, _connectionInit: init })).toBe(own);
      expect(connectionParamsOf({ connectionParams: 'x', req: { connectionParams: onReq }, _connectionInit: init })).toBe(onReq);
      expect(connectionParamsOf({ req: { connectionParams: null }, _connectionInit: init })).toBe(init);
      expect(connectionParamsOf({ req: 'text', _connectionInit: 7 })).toBeUndefined();
    });
  });
});
