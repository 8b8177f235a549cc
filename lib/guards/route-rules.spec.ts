import { describe, expect, it } from 'vitest';
import { RouteRulesCache, type RouteRules } from './route-rules.js';

const rules = (isPublic: boolean): RouteRules => ({ isPublic, requirements: {}, restricted: false });

/** A cache whose reader records what it was asked, and answers "public" for classes in `publicClasses`. */
function cacheReading(publicClasses: Set<unknown>) {
  const reads: Array<[unknown, unknown]> = [];
  const cache = new RouteRulesCache((handler, owner) => {
    reads.push([handler, owner]);
    return rules(publicClasses.has(owner));
  });
  return { cache, reads };
}

class Base {
  route(): void {}
  other(): void {}
}
class Open extends Base {}
class Closed extends Base {}
// eslint-disable-next-line @typescript-eslint/unbound-method
const { route, other } = Base.prototype;

describe('RouteRulesCache', () => {
  it('reads a route once, however often and in whatever order it is asked about', () => {
    const { cache, reads } = cacheReading(new Set());
    for (let i = 0; i < 3; i++) {
      expect(cache.rulesOf(route, Closed).isPublic).toBe(false);
      expect(cache.rulesOf(other, Closed).isPublic).toBe(false);
    }
    expect(reads).toEqual([
      [route, Closed],
      [other, Closed],
    ]);
  });

  it('keeps the rules of one handler apart per class', () => {
    const { cache, reads } = cacheReading(new Set([Open]));
    for (let i = 0; i < 3; i++) {
      expect(cache.rulesOf(route, Open).isPublic).toBe(true);
      expect(cache.rulesOf(route, Closed).isPublic).toBe(false);
      expect(cache.rulesOf(route, Base).isPublic).toBe(false);
    }
    expect(reads).toHaveLength(3);
  });

  it('reads every time when there is no handler or class object to key on', () => {
    const { cache, reads } = cacheReading(new Set([null]));
    expect(cache.rulesOf(undefined, null).isPublic).toBe(true);
    expect(cache.rulesOf(undefined, null).isPublic).toBe(true);
    expect(cache.rulesOf(route, null).isPublic).toBe(true);
    expect(reads).toHaveLength(3);
  });
});
