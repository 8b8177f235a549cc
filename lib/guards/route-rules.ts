import type { AccessRequirements } from '../authorization/access-check.js';

/** What a route's decorators ask of the guards: `@Public()`, `@Roles()`, `@Scopes()`. */
export interface RouteRules {
  readonly isPublic: boolean;
  readonly requirements: Readonly<AccessRequirements>;
  /** Whether `@Roles()` or `@Scopes()` apply, i.e. whether the claims must be checked at all. */
  readonly restricted: boolean;
}

/** One class's rules for a handler; a handler inherited by several controller classes has several. */
interface Entry {
  readonly owner: object;
  readonly rules: RouteRules;
  readonly next: Entry | undefined;
}

function isObject(value: unknown): value is object {
  return (typeof value === 'object' || typeof value === 'function') && value !== null;
}

/**
 * The rules of each route, read once from its metadata and then remembered: decorators run when
 * a class is defined, so a route's rules do not change while the app serves. Reading them anew
 * meant several `Reflect.getMetadata` calls per request. Keyed by handler, then by class, since
 * the same method may be inherited by controllers whose class decorators differ. Weak keys, so a
 * handler that goes away (a test module, a handshake's stand-in handler) takes its entry along.
 */
export class RouteRulesCache {
  private readonly byHandler = new WeakMap<object, Entry>();
  // The last route asked about: consecutive calls to one route cost two identity comparisons.
  private lastHandler: unknown;
  private lastClass: unknown;
  private lastRules: RouteRules | undefined;

  constructor(private readonly read: (handler: unknown, owner: unknown) => RouteRules) {}

  rulesOf(handler: unknown, owner: unknown): RouteRules {
    if (handler === this.lastHandler && owner === this.lastClass && this.lastRules !== undefined) return this.lastRules;
    // Without a handler or class object there is nothing to key on: read every time.
    if (!isObject(handler) || !isObject(owner)) return this.read(handler, owner);
    const first = this.byHandler.get(handler);
    let entry = first;
    while (entry !== undefined && entry.owner !== owner) entry = entry.next;
    if (entry === undefined) {
      entry = { owner, rules: this.read(handler, owner), next: first };
      this.byHandler.set(handler, entry);
    }
    this.lastHandler = handler;
    this.lastClass = owner;
    this.lastRules = entry.rules;
    return entry.rules;
  }
}
