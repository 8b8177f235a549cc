import { isQuick } from './report.js';

/**
 * What the guard-cost benchmarks share (sections 1 and 10), so that their figures compare: the
 * load, the tokens, the revocation view, the goal.
 */
const quick = isQuick();
/** Seconds per measurement, and of warm-up per target before the rounds. */
export const SECONDS = quick ? 2 : 3;
export const WARMUP_SECONDS = quick ? 1 : 3;
/**
 * Seconds of load, not measured, that a server gets at its turn in each round before its first
 * measurement. A server left idle while the others were measured came back slower for its first
 * 3 s: in 10 rounds (section 1, before this), the first route measured was 15-25% slower than
 * the same route later in the round, more than the guard costs.
 */
export const ROUND_WARMUP_SECONDS = 1;
/**
 * Within a round, a server's routes or operations take turns in windows this long on the same
 * connections (support/interleaved-load.ts): the CPU a request costs on a shared machine moves by
 * tens of percent over seconds, which measurements of 3 s one after the other took for the guard.
 */
export const WINDOW_MILLIS = 250;
/** Connections of the load generator, each with one request in flight. */
export const CONNECTIONS = 50;
/**
 * Keycloak-shaped access tokens of distinct sessions, rotated over the requests: 2,000, what the
 * goal is judged on. `TOKENS=<n>` in the environment changes it for a diagnosis: with a single
 * token the guard's data stays in the CPU's caches, which shows what the working set of many
 * sessions adds (bench/RESULTS.md section 1 names the count it ran with).
 */
export const TOKENS = tokenCount(process.env.TOKENS);

function tokenCount(asked: string | undefined): number {
  if (asked === undefined || asked === '') return 2000;
  const count = Number(asked);
  if (!Number.isInteger(count) || count < 1) throw new Error(`TOKENS must be a positive integer, got ${asked}`);
  return count;
}
/** Sessions revoked in each app beforehand: a realistic, non-empty revocation view. */
export const OTHER_REVOCATIONS = 10_000;
/** Guarded ≥ this × unguarded (issue 16). */
export const GOAL = 0.95;
