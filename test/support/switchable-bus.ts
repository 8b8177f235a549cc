import type { RevocationBusHealth } from '../../lib/index.js';
import { LocalRevocationBus } from '../../lib/revocation/revocation-bus.js';

/** A bus whose health the test controls, to exercise the failure policy. */
export class SwitchableBus extends LocalRevocationBus {
  stale = false;
  override health(): RevocationBusHealth {
    return { stale: this.stale, detail: this.stale ? 'test: shared log unreachable' : 'test: fresh' };
  }
}
