import type { INestApplicationContext } from '@nestjs/common';
import type { RefusalLog, RevocationService } from '../../lib/index.js';
import type { RevocationStore } from '../../lib/revocation/revocation-store.js';
import type { Handler } from './child.js';
import { lib, loadInternal } from './library.js';

/** Internal: not exported by the package. */
const { RevocationStore: RevocationStoreClass } = await loadInternal<{ RevocationStore: typeof RevocationStore }>('revocation/revocation-store.js');

/**
 * What every guarded bench server answers about its revocations and refusals: `revokeOthers`
 * (a realistic, non-empty revocation view), `revocationCount`, and `refusals` (every guard
 * refusal so far, all reasons and contexts together: a guarded bench run must see none).
 */
export function revocationHandlers(app: INestApplicationContext): Record<string, Handler> {
  const revocations = app.get<RevocationService>(lib.RevocationService);
  const store = app.get<RevocationStore>(RevocationStoreClass, { strict: false });
  const refusals = app.get<RefusalLog>(lib.RefusalLog, { strict: false });
  return {
    /** Revokes sids that no request will carry. */
    revokeOthers: async (count: number) => {
      for (let i = 0; i < count; i++) await revocations.revokeSid(`other-${i}-${Math.random().toString(36).slice(2)}`);
      return store.size;
    },
    /** Entries in the revocation view (each accepted logout adds at least one). */
    revocationCount: () => store.size,
    refusals: () => Object.values(refusals.counts()).reduce((sum, count) => sum + count, 0),
  };
}
