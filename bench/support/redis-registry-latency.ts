/**
 * Latency of the Redis registry's operations, one at a time (as a login or a logout runs them),
 * on registries already filled by fillRegistry(): several implementations side by side, in
 * alternating rounds, so that a busy machine slows them alike.
 */
import type { SessionRegistry } from '../../lib/index.js';
import { median } from './stats.js';
import { adapterIdOf, uuid } from './session-ids.js';
import { benchSession } from './redis-session-memory.js';

export const REGISTRY_OPERATIONS = ['register', 'findByAdapterSessionId', 'findBySid', 'findBySubject', 'remove'] as const;
export type RegistryOperation = (typeof REGISTRY_OPERATIONS)[number];

export interface RegistryLatency {
  name: string;
  /** Median over rounds of each round's median µs per call. */
  micros: Record<RegistryOperation, number>;
}

/** Spreads lookups over the whole registry, deterministically. */
const spread = (k: number, sessions: number) => Math.floor((((k * 2_654_435_761) >>> 0) / 2 ** 32) * sessions);

/**
 * One round on one registry: `calls` lookups of each kind on sessions spread over the filled ones,
 * and `calls` logins of new users (sessions past the filled ones) then their removal, so that the
 * registry keeps its size.
 */
async function round(registry: SessionRegistry, sessions: number, perUser: number, calls: number, offset: number): Promise<Record<RegistryOperation, number>> {
  const timings: Record<RegistryOperation, number[]> = { register: [], findByAdapterSessionId: [], findBySid: [], findBySubject: [], remove: [] };
  const time = async (operation: RegistryOperation, call: () => Promise<unknown>) => {
    const started = performance.now();
    await call();
    timings[operation].push((performance.now() - started) * 1000);
  };
  const issuedAt = Math.floor(Date.now() / 1000);
  // New users: past the filled sessions' users, one session each.
  const fresh = Array.from({ length: calls }, (_, k) => ({ ...benchSession(sessions + offset + k, 1, issuedAt), sub: uuid(sessions + offset + k, 7) }));
  for (const session of fresh) await time('register', () => registry.register(session));
  for (let k = 0; k < calls; k += 1) {
    const i = spread(offset + k, sessions);
    await time('findByAdapterSessionId', () => registry.findByAdapterSessionId(adapterIdOf(i)));
    await time('findBySid', () => registry.findBySid(uuid(i, 1)));
    await time('findBySubject', () => registry.findBySubject(uuid(Math.floor(i / perUser), 7)));
  }
  for (const session of fresh) await time('remove', () => registry.remove(session));
  return Object.fromEntries(REGISTRY_OPERATIONS.map((operation) => [operation, median(timings[operation])])) as Record<RegistryOperation, number>;
}

export async function measureRegistryLatency(
  registries: Array<{ name: string; registry: SessionRegistry }>,
  sessions: number,
  perUser: number,
  options: { rounds: number; calls: number },
): Promise<RegistryLatency[]> {
  const perRound = registries.map(() => [] as Array<Record<RegistryOperation, number>>);
  // A warm-up round each, not counted.
  for (const { registry } of registries) await round(registry, sessions, perUser, Math.min(50, options.calls), 0);
  for (let r = 0; r < options.rounds; r += 1) {
    // Alternating order: neither implementation always runs first.
    const order = registries.map((_, i) => i);
    if (r % 2 === 1) order.reverse();
    for (const i of order) perRound[i]!.push(await round(registries[i]!.registry, sessions, perUser, options.calls, (r + 1) * options.calls));
  }
  return registries.map(({ name }, i) => ({
    name,
    micros: Object.fromEntries(REGISTRY_OPERATIONS.map((operation) => [operation, median(perRound[i]!.map((result) => result[operation]))])) as Record<RegistryOperation, number>,
  }));
}
