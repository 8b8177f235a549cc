import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { from, map, mergeMap, type Observable } from 'rxjs';
import { contextKindOf } from '../contexts/context-kind.js';
import { graphqlContextOf, graphqlInfoOf } from '../contexts/graphql-context.js';
import { nativeRefusal } from '../contexts/native-refusal.js';
import { GuardRefusal } from '../guards/guard-refusal.js';
import { RevocationService } from '../revocation/revocation.service.js';
import type { RevocationSubject } from '../revocation/revocation.interface.js';
import { endableIterator, isEventStream } from './logout-aware-iterator.js';
import { LiveConnectionRegistry } from './live-connection-registry.service.js';
import { LiveConnectionTracker } from './live-connection-tracker.service.js';
import { mercuriusRelease } from './mercurius-subscription.js';

/**
 * Wraps the event stream of a GraphQL subscription a guard admitted, so that a logout ends it
 * with an `UNAUTHENTICATED` error (the stream rejects, so the error also passes through a
 * `filter` option's wrapper around it), and registers it until it ends; passes everything else
 * through. A guard cannot do this itself: it runs before the resolver has returned the stream.
 * The module binds it to subscription resolvers only (subscription-interceptor-binding.ts), not
 * to the whole app: an interceptor for every route would cost each HTTP request Nest's whole
 * interceptor pipeline.
 */
@Injectable()
export class LiveSubscriptionInterceptor implements NestInterceptor {
  constructor(
    private readonly tracker: LiveConnectionTracker,
    private readonly registry: LiveConnectionRegistry,
    private readonly revocations: RevocationService,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return this.wrapAdmitted(context, next) ?? next.handle();
  }

  /** The wrapped stream when this app's guard admitted the subscription; undefined otherwise. */
  wrapAdmitted(context: ExecutionContext, next: CallHandler): Observable<unknown> | undefined {
    if (contextKindOf(context) !== 'graphql') return undefined;
    const subject = this.tracker.takeSubscription(graphqlInfoOf(context));
    if (subject === undefined) return undefined;
    // The error a logout ends the stream with, made before the stream exists (GraphQLError is imported lazily).
    return from(nativeRefusal('graphql', GuardRefusal.loggedOut())).pipe(
      mergeMap((loggedOut) => next.handle().pipe(map((result: unknown) => (isEventStream(result) ? this.track(result, subject, graphqlContextOf(context), loggedOut) : result)))),
    );
  }

  private track(stream: AsyncIterable<unknown> | AsyncIterator<unknown>, subject: RevocationSubject, graphqlContext: Record<string, unknown>, loggedOut: Error): AsyncIterableIterator<unknown> {
    let unregister: () => void = () => undefined;
    const releaseMercurius = mercuriusRelease(graphqlContext, stream);
    const endable = endableIterator(stream, {
      isRevoked: () => this.revocations.revocationReason(subject) !== undefined,
      revokedError: () => loggedOut,
      onFinish: () => {
        unregister();
        try {
          releaseMercurius?.();
        } catch {
          // Mercurius closes it with the socket anyway.
        }
      },
    });
    unregister = this.registry.register({
      kind: 'graphql-subscription',
      context: 'graphql',
      subject,
      client: graphqlContext,
      close: () => endable.end(loggedOut),
    });
    return endable.iterator;
  }
}
