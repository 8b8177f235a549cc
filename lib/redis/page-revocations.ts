import type { Revocation } from '../revocation/revocation.interface.js';
import type { LivePage } from './live-log-page.js';
import { decodeBatch } from './revocation-codec.js';

const idText = (id: string | Buffer) => (typeof id === 'string' ? id : id.toString('latin1'));

/**
 * The revocations of a page's live entries, in log order, each shape-checked (revocation-codec.ts).
 * An entry that is not a batch of ours is passed over and reported to `skipped` with its id; its
 * neighbours are read as usual.
 */
export function pageRevocations(page: LivePage, skipped: (id: string) => void): Revocation[] {
  const revocations: Revocation[] = [];
  for (let i = 0; i < page.ids.length; i += 1) {
    const batch = decodeBatch(page.batches[i]);
    if (batch === undefined) skipped(idText(page.ids[i]!));
    else for (const revocation of batch) revocations.push(revocation);
  }
  return revocations;
}
