import { median } from './stats.js';

/** Batches parsed per measurement: the shape and count of a 1,000,000-entry catch-up, a tenth of it. */
const BATCHES = 100_000;

/**
 * Milliseconds this machine takes for a fixed piece of work like a catch-up's own (JSON.parse of
 * revocation batches as the log holds them, into a Map), median of three. Machines of one kind
 * differ by a factor of two or three from one run to the next (noisy neighbours, other hosts),
 * so an absolute figure such as a start-up time compares between runs only beside this one.
 */
export function speedYardstickMs(): number {
  const now = Date.now();
  const batches = Array.from({ length: BATCHES }, (_, i) =>
    JSON.stringify([{ type: 'sid', sid: `yardstick-sid-${i}`, id: `id-${i}`, source: 'backchannel-logout', revokedAt: now, expiresAt: now + 3_600_000 }]),
  );
  const times: number[] = [];
  for (let round = 0; round < 3; round += 1) {
    const started = performance.now();
    const seen = new Map<string, number>();
    for (const batch of batches) {
      const [revocation] = JSON.parse(batch) as Array<{ sid: string; expiresAt: number }>;
      seen.set(revocation!.sid, revocation!.expiresAt);
    }
    if (seen.size !== BATCHES) throw new Error('yardstick: lost a batch');
    times.push(performance.now() - started);
  }
  return median(times);
}
