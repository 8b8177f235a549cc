import type { Attributes, Histogram, Meter } from '@opentelemetry/api';
import type { Revocation } from '../revocation/revocation.interface.js';
import { ATTRIBUTE, METRIC, attributeCode } from './telemetry-names.js';

/** Made here, read from the shared log while running, or read from it while the instance starts. */
export type PropagationOrigin = 'local' | 'remote' | 'catch_up';

type RevocationType = Revocation['type'];

/** The attributes of one origin, per revocation type, made once and shared by every record. */
function attributesFor(origin: PropagationOrigin): Readonly<Record<RevocationType, Attributes>> {
  const of = (type: RevocationType) => Object.freeze({ [ATTRIBUTE.revocationType]: attributeCode(type), [ATTRIBUTE.revocationOrigin]: origin });
  return { sid: of('sid'), subject: of('subject'), 'adapter-session': of('adapter-session'), 'not-before': of('not-before') };
}

/** A starting instance records one lag per revocation it reads from the log, up to millions: no attributes built per record. */
const ATTRIBUTES: Readonly<Record<PropagationOrigin, Readonly<Record<RevocationType, Attributes>>>> = {
  local: attributesFor('local'),
  remote: attributesFor('remote'),
  catch_up: attributesFor('catch_up'),
};

/** Buckets (s): sub-millisecond on one process, milliseconds through Redis, seconds after an outage. */
const LAG_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/**
 * Cross-instance propagation: for each revocation this instance applies for the first time, the
 * time from its `revokedAt` (when the instance that decided it stamped it) to now. Revocations
 * made here are `local`; those read from the shared log while the instance catches up at start
 * are `catch_up` (their lag is how long the instance was away, not how fast the bus is), the
 * rest `remote`. Instances' clocks must agree (NTP) for remote lags to mean anything.
 */
export class PropagationTelemetry {
  private readonly lag: Histogram;
  /** Ids of revocations this instance is publishing right now. */
  private readonly publishing = new Set<string>();
  private caughtUp = false;

  constructor(meter: Meter) {
    this.lag = meter.createHistogram(METRIC.propagationDuration, {
      description: 'Time from a revocation being decided (revokedAt) to this instance applying it',
      unit: 's',
      advice: { explicitBucketBoundaries: LAG_BUCKETS },
    });
  }

  /** Around RevocationBus.publish: what is applied meanwhile with these ids was made here. */
  async publish(revocations: Revocation[], run: () => Promise<void>): Promise<void> {
    for (const revocation of revocations) this.publishing.add(revocation.id);
    try {
      await run();
    } finally {
      for (const revocation of revocations) this.publishing.delete(revocation.id);
    }
  }

  /** The bus has caught up with the shared log: later revocations are live ones. */
  markCaughtUp(): void {
    this.caughtUp = true;
  }

  /** Records a revocation applied here for the first time; returns where it came from. */
  applied(revocation: Revocation, now = Date.now()): PropagationOrigin {
    const local = this.publishing.size > 0 && this.publishing.has(revocation.id);
    const origin: PropagationOrigin = local ? 'local' : this.caughtUp ? 'remote' : 'catch_up';
    this.lag.record(Math.max(0, now - revocation.revokedAt) / 1000, ATTRIBUTES[origin][revocation.type]);
    return origin;
  }
}
