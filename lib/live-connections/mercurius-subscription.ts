/**
 * Mercurius gives each subscription operation its own `SubscriptionContext` as the GraphQL
 * context's `pubsub`; `pubsub.subscribe(topic)` resolves that context's `queue`, and Mercurius
 * closes it (removing its listeners from the app's emitter) when the operation completes. An
 * operation that ends with an error (as a logout ends it) is not completed by Mercurius, so its
 * listeners would stay until the socket closes: the library closes it the way Mercurius would.
 */
interface MercuriusSubscriptionContext {
  queue: unknown;
  close(): unknown;
}

function isMercuriusSubscriptionContext(value: unknown): value is MercuriusSubscriptionContext {
  const candidate = value as Partial<MercuriusSubscriptionContext> | null;
  return typeof candidate === 'object' && candidate !== null && typeof candidate.close === 'function' && 'queue' in candidate;
}

/**
 * How to release Mercurius' per-operation subscription context, when the stream a resolver
 * returned is that context's own queue (and only then: any other `pubsub` on the context is the
 * app's, which this library must not close). Closing it again is a no-op in Mercurius.
 */
export function mercuriusRelease(graphqlContext: Record<string, unknown>, stream: unknown): (() => void) | undefined {
  const pubsub = graphqlContext.pubsub;
  if (!isMercuriusSubscriptionContext(pubsub) || pubsub.queue !== stream) return undefined;
  return () => void pubsub.close();
}
