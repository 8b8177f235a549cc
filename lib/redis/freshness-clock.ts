import type { LoggerService } from '@nestjs/common';
import type { RevocationBusHealth } from '../revocation/revocation-bus.js';
import { settlesWithin } from './settles-within.js';

/** Where the view stands. `fresh` includes a reader that is reconnecting but still within `maxStaleness`. */
type FreshnessPhase = 'idle' | 'starting' | 'recovering' | 'stale' | 'fresh' | 'closed';

interface FreshnessClockOptions {
  /** Ms the view may go without a complete read of the log before it counts as stale. */
  maxStaleness: number;
  /** Ms the view stays stale once an outage ends (see holdForRecovery). */
  recoveryGrace: number;
  logger: LoggerService;
  /** What the "fresh" log line tells about the view: the last entry applied, the live revocations. */
  describeView: () => string;
  /** Epoch ms; tests pass their own. */
  now?: () => number;
}

/**
 * Whether this instance's revocation view can be trusted, from two instants: up to when the view
 * is known complete (`freshAsOf`, set by each complete read of the log), and until when it is
 * held stale after an outage (`holdUntil`). Stale means older than `maxStaleness`, held, not
 * started or closed. The guards ask health() on every request, so it is two comparisons and no
 * I/O; each change between fresh and stale is logged once (a watchdog notices it even when no
 * request asks).
 */
export class FreshnessClock {
  private freshAsOf = Number.NEGATIVE_INFINITY;
  private holdUntil = 0;
  private lifecycle: 'idle' | 'started' | 'closed' = 'idle';
  private reportedStale = true;
  /** start() gave up waiting for the first complete read: that read then ends an outage like any later one. */
  private firstReadOverdue = false;
  private resolveFirstRead: (() => void) | undefined;
  private readonly firstRead: Promise<void>;
  private watchdog: NodeJS.Timeout | undefined;
  private readonly freshHealth: RevocationBusHealth = { stale: false, detail: 'fresh' };
  private readonly now: () => number;

  constructor(private readonly options: FreshnessClockOptions) {
    this.now = options.now ?? Date.now;
    this.firstRead = new Promise<void>((resolve) => {
      this.resolveFirstRead = resolve;
    });
  }

  get maxStaleness(): number {
    return this.options.maxStaleness;
  }

  start(): void {
    if (this.lifecycle !== 'idle') return;
    this.lifecycle = 'started';
    const every = Math.max(50, Math.min(1_000, Math.floor(this.options.maxStaleness / 2)));
    this.watchdog = setInterval(() => this.observe(), every).unref();
  }

  close(): void {
    this.lifecycle = 'closed';
    clearInterval(this.watchdog);
  }

  /** Resolves true at the first complete read, false when `ms` pass before it (the view stays stale meanwhile). */
  async waitForFirstRead(ms: number): Promise<boolean> {
    const inTime = await settlesWithin(this.firstRead, ms);
    if (!inTime) this.firstReadOverdue = true;
    return inTime;
  }

  /** Hot path of every guarded request: two comparisons and no I/O. */
  health(): RevocationBusHealth {
    const now = this.now();
    const stale = this.isStale(now);
    if (stale !== this.reportedStale) this.observe();
    return stale ? { stale: true, detail: this.staleDetail(now) } : this.freshHealth;
  }

  isStale(now = this.now()): boolean {
    return this.lifecycle !== 'started' || now - this.freshAsOf > this.options.maxStaleness || now < this.holdUntil;
  }

  phase(now = this.now()): FreshnessPhase {
    if (this.lifecycle !== 'started') return this.lifecycle;
    if (now < this.holdUntil) return 'recovering';
    if (this.freshAsOf === Number.NEGATIVE_INFINITY) return 'starting';
    return this.isStale(now) ? 'stale' : 'fresh';
  }

  /** Ms since the view was last known complete; null before the first complete read. */
  lagMs(now = this.now()): number | null {
    return this.freshAsOf === Number.NEGATIVE_INFINITY ? null : Math.max(0, now - this.freshAsOf);
  }

  staleDetail(now = this.now()): string {
    if (this.lifecycle === 'closed') return 'the Redis revocation bus is closed';
    if (now < this.holdUntil) return `recovering from a Redis outage: waiting ${this.holdUntil - now} ms for other instances' revocations`;
    if (this.freshAsOf === Number.NEGATIVE_INFINITY) {
      return this.lifecycle === 'started' ? 'the revocation log has not been read from Redis yet' : 'the Redis revocation bus has not been started';
    }
    return `no complete read of the revocation log from Redis for ${now - this.freshAsOf} ms (limit ${this.options.maxStaleness} ms)`;
  }

  /** A read sent at `asOf` reached the end of the log: the view is complete as of then. */
  markFresh(asOf: number): void {
    // Reads sent during a recovery hold do not count: the view is complete only after it.
    if (asOf <= this.freshAsOf || asOf < this.holdUntil) return;
    this.freshAsOf = asOf;
    this.resolveFirstRead?.();
    this.resolveFirstRead = undefined;
    if (this.reportedStale) this.observe();
  }

  /** Whether a (re)connection of the reader ends an outage: the view was stale (and not merely not read yet). */
  endsAnOutage(firstConnection: boolean): boolean {
    return (!firstConnection || this.firstReadOverdue) && this.isStale();
  }

  /**
   * After an outage longer than `maxStaleness`, or when Redis lost the log, other instances may
   * still hold revocations they enforced but could not write (their outbox). They write them as
   * soon as they reconnect, which the reconnect back-off bounds: stay stale that long, reading
   * all the while, so that no instance accepts such a token in between.
   */
  holdForRecovery(why: string): void {
    this.holdUntil = this.now() + this.options.recoveryGrace;
    this.options.logger.log(`${why}: keeping the view stale for ${this.options.recoveryGrace} ms while other instances write what they revoked meanwhile`);
  }

  /** Logs each change between fresh and stale, once. */
  private observe(): void {
    if (this.lifecycle === 'closed') return;
    const now = this.now();
    const stale = this.isStale(now);
    if (stale === this.reportedStale) return;
    this.reportedStale = stale;
    if (stale) {
      this.options.logger.error(`revocation view is STALE: ${this.staleDetail(now)}; guards apply the failure policy`);
    } else {
      this.options.logger.log(`revocation view is fresh: ${this.options.describeView()}`);
    }
  }
}
