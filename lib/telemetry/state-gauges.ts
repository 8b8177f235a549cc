import { ValueType, type BatchObservableCallback, type Meter } from '@opentelemetry/api';
import type { RevocationBus } from '../revocation/revocation-bus.js';
import { sharedLogStatusOf } from './shared-log-status.js';
import { METRIC } from './telemetry-names.js';

/** What the gauges read, each synchronously and without I/O. */
export interface GaugeSources {
  revocationStore: { readonly size: number };
  /** Reported only when it has a numeric `size` (the in-memory registry); others would need I/O. */
  sessionRegistry: object;
  revocationBus: RevocationBus;
}

function sizeOf(registry: object): number | undefined {
  const size = (registry as { size?: unknown }).size;
  return typeof size === 'number' ? size : undefined;
}

/**
 * The state gauges, observed when the SDK collects: tracked sessions, active revocations,
 * whether the revocation view may be stale, and for a shared log its lag and unshared
 * revocations. Returns the function that stops observing (at module destroy, so a closed app's
 * state is not reported, nor kept alive, by a provider that outlives it).
 */
export function observeStateGauges(meter: Meter, sources: GaugeSources): () => void {
  const gauge = (name: string, unit: string, description: string, valueType = ValueType.INT) =>
    meter.createObservableGauge(name, { description, unit, valueType });
  const sessions = gauge(METRIC.sessionCount, '{session}', 'Sessions the session registry tracks (registries that can count without I/O)');
  const revocations = gauge(METRIC.revocationCount, '{revocation}', 'Live revocations in this instance\'s view');
  const stale = gauge(METRIC.viewStale, '1', '1 while this instance\'s revocation view may be stale (guards apply the failure policy), else 0');
  const lag = gauge(METRIC.viewLag, 's', 'Time since the revocation view was last known complete (shared log only)', ValueType.DOUBLE);
  const unshared = gauge(METRIC.viewUnshared, '{revocation}', 'Revocations enforced on this instance but not yet written to the shared log');
  const callback: BatchObservableCallback = (observer) => {
    const sessionCount = sizeOf(sources.sessionRegistry);
    if (sessionCount !== undefined) observer.observe(sessions, sessionCount);
    observer.observe(revocations, sources.revocationStore.size);
    observer.observe(stale, sources.revocationBus.health().stale ? 1 : 0);
    const status = sharedLogStatusOf(sources.revocationBus);
    if (status === undefined) return;
    if (status.lagMs !== null) observer.observe(lag, status.lagMs / 1000);
    observer.observe(unshared, status.unsharedRevocations);
  };
  const observables = [sessions, revocations, stale, lag, unshared];
  meter.addBatchObservableCallback(callback, observables);
  return () => meter.removeBatchObservableCallback(callback, observables);
}
