import { pathToFileURL } from 'node:url';
import type * as LibraryModule from '../../lib/index.js';

/** The library's public API, typed from its sources. */
export type Library = typeof LibraryModule;

/**
 * The package name, in a variable so that TypeScript does not resolve it: at run time Node
 * resolves it through this package's own `exports` map to the compiled build in dist/ (what
 * `npm run build` produced), so benchmarks exercise exactly what gets published.
 */
const PACKAGE_NAME = 'nestjs-keycloak-logout';

/**
 * Another build of the library, a directory like dist/ (support/baseline-build.ts makes one
 * from a git ref), loaded instead of the package's own: a "before" measured beside the "after"
 * in the same run. Set by the bench for the servers it starts so.
 */
const OTHER_BUILD = process.env.BENCH_LIBRARY;

export const lib = (await import(OTHER_BUILD === undefined ? PACKAGE_NAME : pathToFileURL(`${OTHER_BUILD}/index.js`).href)) as Library;

/** The Redis subpath, when the build has one (see guard-cost.ts, "Redis mode"). */
export async function loadRedisSubpath(): Promise<Record<string, unknown> | undefined> {
  try {
    return (await import(`${PACKAGE_NAME}/redis`)) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/**
 * A module of the build that the package does not export (services the benchmarks time in
 * process): `relative` is its path under dist/, e.g. `logout-token/backchannel-logout.service.js`.
 */
export async function loadInternal<T>(relative: string): Promise<T> {
  if (OTHER_BUILD !== undefined) return (await import(pathToFileURL(`${OTHER_BUILD}/${relative}`).href)) as T;
  // This file runs from bench/dist/bench/support/.
  return (await import(new URL(`../../../../dist/${relative}`, import.meta.url).href)) as T;
}

/**
 * `bearer.cacheMaxAge` for a benchmark that measures the steady state (tokens seen before) over a
 * run longer than the library's default age (10 minutes): 24 hours, else every token would be
 * verified again once mid-run, a burst of signature checks in one measurement. In production that
 * costs one verification per token per 10 minutes (bench/RESULTS.md section 8 for its price).
 * Nothing for a build older than the option (a `--baseline`), which would refuse it.
 */
export async function steadyStateCacheAge(): Promise<{ cacheMaxAge?: number }> {
  const { DEFAULT_OPTIONS } = await loadInternal<{ DEFAULT_OPTIONS: Record<string, unknown> }>('options/default-options.js');
  return 'bearerCacheMaxAge' in DEFAULT_OPTIONS ? { cacheMaxAge: 86_400_000 } : {};
}
