/**
 * What a revocation bus backed by a shared log (the Redis Stream of `nestjs-keycloak-logout/redis`)
 * can say about itself beyond `health()`. Read through this structural interface so that the
 * core never imports the Redis entry point: any bus with a matching `status()` is read the same way.
 */
export interface SharedLogStatus {
  /** The bus's own state name, e.g. `fresh`, `reconnecting`, `recovering`, `stale`. */
  state: string;
  stale: boolean;
  /** Ms since the view was last known complete; null before the first complete read. */
  lagMs: number | null;
  /** Revocations enforced here but not yet written to the shared log. */
  unsharedRevocations: number;
}

/** States in which the bus is connected to its log and reading it. */
const CONNECTED_STATES = new Set(['fresh', 'recovering']);

export function isSharedLogConnected(status: SharedLogStatus): boolean {
  return CONNECTED_STATES.has(status.state);
}

/** The bus's shared-log status, or undefined for a bus that has none (the in-process one). */
export function sharedLogStatusOf(bus: unknown): SharedLogStatus | undefined {
  const status = (bus as { status?: unknown } | null)?.status;
  if (typeof status !== 'function') return undefined;
  const value: unknown = status.call(bus);
  if (typeof value !== 'object' || value === null) return undefined;
  const { state, stale, lagMs, unsharedRevocations } = value as Record<string, unknown>;
  if (typeof state !== 'string' || typeof stale !== 'boolean' || (lagMs !== null && typeof lagMs !== 'number')) return undefined;
  return { state, stale, lagMs, unsharedRevocations: typeof unsharedRevocations === 'number' ? unsharedRevocations : 0 };
}
