/**
 * The part of a cache-manager 7 `Cache` (what `@nestjs/cache-manager` injects as
 * `CACHE_MANAGER`, or `createCache()` returns) that CacheManagerSessionRegistry uses. Declared
 * here so that the library's typings do not depend on the optional `cache-manager` package.
 * `ttl` is in milliseconds; a missing key reads as `undefined` (or `null` from older stores).
 */
export interface SessionCache {
  get<T>(key: string): Promise<T | undefined | null>;
  mget<T>(keys: string[]): Promise<Array<T | undefined | null>>;
  set<T>(key: string, value: T, ttl?: number): Promise<T>;
  del(key: string): Promise<boolean>;
  mdel(keys: string[]): Promise<boolean>;
}
