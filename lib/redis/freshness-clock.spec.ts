import { afterEach, describe, expect, it } from 'vitest';
import { FreshnessClock } from './freshness-clock.js';

const MAX_STALENESS = 1_000;
const RECOVERY_GRACE = 500;

/** A clock on a hand-moved time, with its log lines. */
function clockAt(start = 1_000_000) {
  const time = { now: start };
  const lines: string[] = [];
  const clock = new FreshnessClock({
    maxStaleness: MAX_STALENESS,
    recoveryGrace: RECOVERY_GRACE,
    logger: {
      log: (message: unknown) => lines.push(`log ${String(message)}`),
      warn: (message: unknown) => lines.push(`warn ${String(message)}`),
      error: (message: unknown) => lines.push(`error ${String(message)}`),
    },
    describeView: () => 'caught up to log entry 5-0',
    now: () => time.now,
  });
  return { clock, time, lines };
}

describe('FreshnessClock', () => {
  const clocks: FreshnessClock[] = [];
  const started = (start?: number) => {
    const made = clockAt(start);
    clocks.push(made.clock);
    made.clock.start();
    return made;
  };

  afterEach(() => {
    for (const clock of clocks.splice(0)) clock.close();
  });

  it('is stale until started and until the first complete read', () => {
    const { clock } = clockAt();
    clocks.push(clock);
    expect(clock.phase()).toBe('idle');
    expect(clock.health()).toEqual({ stale: true, detail: 'the Redis revocation bus has not been started' });
    expect(clock.lagMs()).toBeNull();
    clock.start();
    expect(clock.phase()).toBe('starting');
    expect(clock.health()).toEqual({ stale: true, detail: 'the revocation log has not been read from Redis yet' });
  });

  it('is fresh for maxStaleness after the moment a complete read was sent, then stale; one log line per change', () => {
    const { clock, time, lines } = started();
    clock.markFresh(time.now - 100);
    expect(clock.health()).toEqual({ stale: false, detail: 'fresh' });
    expect(clock.phase()).toBe('fresh');
    expect(clock.lagMs()).toBe(100);

    time.now += MAX_STALENESS - 100;
    expect(clock.isStale()).toBe(false);
    time.now += 1;
    expect(clock.health()).toEqual({ stale: true, detail: 'no complete read of the revocation log from Redis for 1001 ms (limit 1000 ms)' });
    expect(clock.health().stale).toBe(true);
    expect(clock.phase()).toBe('stale');

    clock.markFresh(time.now);
    expect(clock.health().stale).toBe(false);
    expect(lines).toEqual([
      'log revocation view is fresh: caught up to log entry 5-0',
      'error revocation view is STALE: no complete read of the revocation log from Redis for 1001 ms (limit 1000 ms); guards apply the failure policy',
      'log revocation view is fresh: caught up to log entry 5-0',
    ]);
  });

  it('never moves back: a read sent before the last complete one changes nothing', () => {
    const { clock, time } = started();
    clock.markFresh(time.now);
    clock.markFresh(time.now - 900);
    time.now += 500;
    expect(clock.lagMs()).toBe(500);
  });

  it('holds the view stale for recoveryGrace after an outage, counting only reads sent after the hold', () => {
    const { clock, time, lines } = started();
    clock.markFresh(time.now);
    clock.holdForRecovery('back from a Redis outage');
    expect(clock.phase()).toBe('recovering');
    expect(clock.health()).toEqual({ stale: true, detail: `recovering from a Redis outage: waiting ${RECOVERY_GRACE} ms for other instances' revocations` });

    time.now += RECOVERY_GRACE - 1;
    clock.markFresh(time.now);
    time.now += 1;
    // The read sent during the hold does not count: the last complete read is still the one before it.
    expect(clock.lagMs()).toBe(RECOVERY_GRACE);
    clock.markFresh(time.now);
    expect(clock.health()).toEqual({ stale: false, detail: 'fresh' });
    expect(lines.filter((line) => line.startsWith('log back'))).toEqual([
      `log back from a Redis outage: keeping the view stale for ${RECOVERY_GRACE} ms while other instances write what they revoked meanwhile`,
    ]);
  });

  it('a reconnection ends an outage when the view was stale; the first connection only once start() gave up waiting', async () => {
    const { clock, time } = started();
    expect(clock.endsAnOutage(true)).toBe(false);
    expect(await clock.waitForFirstRead(5)).toBe(false);
    expect(clock.endsAnOutage(true)).toBe(true);

    clock.markFresh(time.now);
    expect(clock.endsAnOutage(false)).toBe(false);
    time.now += MAX_STALENESS + 1;
    expect(clock.endsAnOutage(false)).toBe(true);
  });

  it('waitForFirstRead resolves true at the first complete read', async () => {
    const { clock, time } = started();
    const waiting = clock.waitForFirstRead(10_000);
    clock.markFresh(time.now);
    expect(await waiting).toBe(true);
    expect(clock.endsAnOutage(true)).toBe(false);
  });

  it('is stale for good once closed, and logs nothing more', () => {
    const { clock, time, lines } = started();
    clock.markFresh(time.now);
    const logged = lines.length;
    clock.close();
    expect(clock.phase()).toBe('closed');
    expect(clock.health()).toEqual({ stale: true, detail: 'the Redis revocation bus is closed' });
    clock.markFresh(time.now + 1);
    expect(clock.isStale()).toBe(true);
    expect(lines).toHaveLength(logged);
  });
});
