import { Inject, Injectable, UseInterceptors, type CallHandler, type ExecutionContext, type NestInterceptor, type OnModuleDestroy } from '@nestjs/common';
import { MetadataScanner, ModulesContainer } from '@nestjs/core';
import type { Observable } from 'rxjs';
import { KEYCLOAK_LOGOUT_OPTIONS } from '../keycloak-logout.constants.js';
import type { ResolvedKeycloakLogoutOptions } from '../options/keycloak-logout-options.interface.js';
import { LiveSubscriptionInterceptor } from './live-subscription.interceptor.js';

/**
 * The metadata `@Subscription()` (and `@Resolver('Subscription')` on a class) leaves on a
 * resolver: `RESOLVER_TYPE_METADATA` in @nestjs/graphql's lib/graphql.constants.ts. Read as a
 * string so that apps without GraphQL do not need the package.
 */
const RESOLVER_TYPE_METADATA = 'graphql:resolver_type';
const SUBSCRIPTION = 'Subscription';

/**
 * The interceptors of the apps alive in this process. Decorator metadata belongs to the
 * resolver's class, which every app made from it shares (tests build many): the handlers carry
 * one dispatcher, and the app whose guard admitted a subscription is found at its call.
 */
const liveInterceptors = new Set<LiveSubscriptionInterceptor>();

const subscriptionEnding: NestInterceptor = {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    for (const interceptor of liveInterceptors) {
      const wrapped = interceptor.wrapAdmitted(context, next);
      if (wrapped !== undefined) return wrapped;
    }
    return next.handle();
  },
};

/** Handlers given the dispatcher already (by this app or an earlier one). */
const boundHandlers = new WeakSet<object>();

function isSubscriptionHandler(handler: unknown, owner: object): handler is object {
  if (typeof handler !== 'function') return false;
  const type: unknown = Reflect.getMetadata(RESOLVER_TYPE_METADATA, handler) ?? Reflect.getMetadata(RESOLVER_TYPE_METADATA, owner);
  return type === SUBSCRIPTION;
}

/**
 * Puts LiveSubscriptionInterceptor on the GraphQL subscription resolvers of the app, and on
 * nothing else. It used to be an `APP_INTERCEPTOR`, which made every HTTP route and every query
 * resolver of an app with `@nestjs/graphql` installed pass through Nest's interceptor pipeline
 * (observables per request): on Fastify that cost more than the bearer guard itself, many times
 * over (bench/RESULTS.md section 1). Runs when the module's providers are made: @nestjs/graphql
 * reads a resolver's interceptors later, when it builds the schema (GraphQLModule.onModuleInit).
 */
@Injectable()
export class SubscriptionInterceptorBinding implements OnModuleDestroy {
  constructor(
    modules: ModulesContainer,
    private readonly interceptor: LiveSubscriptionInterceptor,
    @Inject(KEYCLOAK_LOGOUT_OPTIONS) options: ResolvedKeycloakLogoutOptions,
  ) {
    // Nothing to end at logout: the tracker remembers no subscription then.
    if (!options.liveConnections.closeAtLogout) return;
    liveInterceptors.add(interceptor);
    const scanner = new MetadataScanner();
    for (const module of modules.values()) {
      for (const wrapper of module.providers.values()) {
        // A class provider's class; for `useValue`, the value's class (a factory's is not known yet).
        const type: unknown = wrapper.metatype ?? (wrapper.instance as object | null | undefined)?.constructor;
        if (typeof type !== 'function' || typeof type.prototype !== 'object' || type.prototype === null) continue;
        this.bind(type as new () => unknown, scanner);
      }
    }
  }

  private bind(resolver: new () => unknown, scanner: MetadataScanner): void {
    const prototype = resolver.prototype as Record<string, unknown>;
    for (const name of scanner.getAllMethodNames(prototype)) {
      const handler = prototype[name];
      if (!isSubscriptionHandler(handler, resolver) || boundHandlers.has(handler)) continue;
      // The public decorator, applied now: it appends to the handler's own @UseInterceptors().
      UseInterceptors(subscriptionEnding)(prototype, name, { value: handler });
      boundHandlers.add(handler);
    }
  }

  onModuleDestroy(): void {
    liveInterceptors.delete(this.interceptor);
  }
}
