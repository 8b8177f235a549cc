import type { LoggerService } from '@nestjs/common';
import { ErrorReply } from 'redis';
import { LogoutFailedError } from '../errors/logout-failed.error.js';
import { RevocationBus, type RevocationBusHealth, type RevocationListener } from '../revocation/revocation-bus.js';
import type { Revocation } from '../revocation/revocation.interface.js';
import { describeError } from './describe-error.js';
import { FreshnessClock } from './freshness-clock.js';
import { KnownRevocations } from './known-revocations.js';
import type { RedisConnection } from './redis-connection.js';
import type { RedisKeys } from './redis-keys.js';
import { encodeEntry } from './revocation-codec.js';
import { RevocationLogCompactor } from './revocation-log-compactor.js';
import { RevocationLogReader } from './revocation-log-reader.js';
import { RevocationLogTrimmer } from './revocation-log-trimmer.js';
import { RevocationOutbox } from './revocation-outbox.js';

export type RedisBusState = 'idle' | 'starting' | 'fresh' | 'reconnecting' | 'recovering' | 'stale' | 'closed';

export interface RedisBusStatus {
  state: RedisBusState;
  stale: boolean;
  detail: string;
  /** Ms since the view was last known complete; null before the first complete read. */
  lagMs: number | null;
  maxStaleness: number;
  /** Id of the last log entry applied here. */
  lastEntryId: string;
  /** Revocations enforced here but not yet written to Redis (it was unreachable when they were made). */
  unsharedRevocations: number;
  /** Live revocations this instance knows. */
  knownRevocations: number;
}

export interface RedisRevocationBusOptions {
  maxStaleness: number;
  commandTimeout: number;
  recoveryGrace: number;
  startTimeout: number;
  trimInterval: number;
  logger: LoggerService;
}

/**
 * RevocationBus on a Redis Stream, the shared revocation log.
 *
 * Why a stream and not pub/sub: pub/sub drops whatever is published while a subscriber is
 * disconnected, so an instance that restarts or loses Redis for a moment would silently miss a
 * logout. A stream is a log with ids: each instance remembers the id of the last entry it
 * applied and, after any gap (start, reconnect), reads on from there. A blocking XREAD on a
 * dedicated connection returns as soon as an entry is added, so it is as fast as pub/sub.
 *
 * The parts: the RevocationLogReader reads the log (and tells the FreshnessClock when the view
 * is complete; the clock answers the guards); the RevocationOutbox keeps what could not be
 * written while Redis was away, for the reader to write on reconnection; KnownRevocations is what
 * to re-publish if Redis lost the log; the RevocationLogTrimmer removes expired entries, and the
 * RevocationLogCompactor (run by the reader) replaces a long history by a snapshot of the live
 * revocations, so that the log stays bounded by what is live. This class publishes, and starts and stops the others.
 */
export class RedisRevocationBus extends RevocationBus {
  private readonly listeners: RevocationListener[] = [];
  private readonly known = new KnownRevocations();
  private readonly outbox = new RevocationOutbox();
  private readonly clock: FreshnessClock;
  private readonly reader: RevocationLogReader;
  private readonly logTrimmer: RevocationLogTrimmer;
  private readonly logger: LoggerService;
  private started = false;
  private closed = false;
  private trimTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly connection: RedisConnection,
    private readonly keys: RedisKeys,
    private readonly options: RedisRevocationBusOptions,
  ) {
    super();
    this.logger = options.logger;
    this.clock = new FreshnessClock({
      maxStaleness: options.maxStaleness,
      recoveryGrace: options.recoveryGrace,
      logger: options.logger,
      describeView: () => `caught up to log entry ${this.reader.lastEntryId}, ${this.describeKnown()}`,
    });
    const deliver = (revocations: Revocation[]) => this.deliver(revocations);
    const compactor = new RevocationLogCompactor(keys, options.trimInterval);
    this.reader = new RevocationLogReader(connection, keys, { clock: this.clock, outbox: this.outbox, known: this.known, compactor, deliver, logger: this.logger });
    this.logTrimmer = new RevocationLogTrimmer(() => connection.writer.redis, keys.stream);
  }

  subscribe(listener: RevocationListener): void {
    this.listeners.push(listener);
  }

  /**
   * Writes the batch to the log and applies it here. When Redis cannot take it, the batch is
   * still enforced here at once and queued for the log (written when Redis is back), and the
   * promise rejects: the logout is not yet durable, and the caller (the OP) should know.
   */
  async publish(batch: Revocation[]): Promise<void> {
    if (batch.length === 0) return;
    // Kept aside as it is (KnownRevocations): not the caller's array, which it may change.
    const revocations = [...batch];
    if (this.closed) throw new LogoutFailedError('unavailable', 'the Redis revocation bus is closed');
    try {
      await this.write(revocations);
    } catch (error) {
      this.outbox.add(revocations);
      this.deliver(revocations);
      this.logger.warn(
        `could not write ${revocations.length} revocation(s) to Redis (${describeError(error)}): enforced on this instance, ` +
          `queued for the others (${this.outbox.size} unshared)`,
      );
      throw new LogoutFailedError(
        'unavailable',
        'Redis is unreachable: the revocation is enforced on this instance and will reach the other instances when Redis is back',
        { cause: error },
      );
    }
    this.deliver(revocations);
  }

  /** Hot path of every guarded request: two comparisons and no I/O. */
  health(): RevocationBusHealth {
    return this.clock.health();
  }

  status(): RedisBusStatus {
    const now = Date.now();
    const stale = this.clock.isStale(now);
    const phase = this.clock.phase(now);
    const state: RedisBusState = phase === 'fresh' && !this.reader.connected ? 'reconnecting' : phase;
    let detail = 'fresh';
    if (stale) detail = this.clock.staleDetail(now);
    else if (state === 'reconnecting') detail = `reconnecting (${this.reader.lastError ?? 'connection lost'})`;
    return {
      state,
      stale,
      detail,
      lagMs: this.clock.lagMs(now),
      maxStaleness: this.options.maxStaleness,
      lastEntryId: this.reader.lastEntryId,
      unsharedRevocations: this.outbox.size,
      knownRevocations: this.known.size,
    };
  }

  /**
   * Connects, then reads the whole retained log before resolving, so the app serves its first
   * request with a complete view. If that takes longer than `startTimeout` (Redis down), it
   * resolves anyway with the view stale (guards apply the failure policy) and keeps trying.
   */
  override async start(): Promise<void> {
    if (this.started || this.closed) return;
    this.started = true;
    this.connection.connect().catch(() => undefined);
    this.clock.start();
    this.reader.start();
    this.trimTimer = setInterval(() => void this.trim(), this.options.trimInterval).unref();
    if (await this.clock.waitForFirstRead(this.options.startTimeout)) {
      void this.trim();
      return;
    }
    this.logger.error(
      `could not read the revocation log from Redis within ${this.options.startTimeout} ms ` +
        `(${this.reader.lastError ?? 'no answer'}); the view is stale and guards apply the failure policy until it is caught up`,
    );
  }

  override async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const readerStopped = this.reader.stop();
    this.clock.close();
    clearInterval(this.trimTimer);
    await this.connection.close();
    await readerStopped;
    const unshared = this.outbox.size;
    if (unshared > 0) this.logger.warn(`closed with ${unshared} revocation(s) that never reached Redis`);
  }

  /** XADD on the writer; a connection blip (not a Redis error reply) gets one more try once it is back. */
  private async write(revocations: Revocation[]): Promise<void> {
    const entry = encodeEntry(revocations);
    for (let attempt = 1; ; attempt += 1) {
      // Normally connected since start(); a revocation made earlier (during bootstrap) opens it.
      if (!(await this.connection.writerReady(this.options.commandTimeout))) throw new Error('Redis is not reachable');
      try {
        await this.connection.track(() => this.connection.writer.redis.xAdd(this.keys.stream, '*', entry));
        return;
      } catch (error) {
        if (attempt >= 2 || error instanceof ErrorReply || this.closed) throw error;
      }
    }
  }

  /** For log lines: not worth sorting in what a catch-up just read (see KnownRevocations). */
  private describeKnown(): string {
    if (this.known.sorted) return `${this.known.size} live revocation(s)`;
    return `${this.known.unsorted} revocation(s) read, duplicates not yet counted out`;
  }

  private deliver(revocations: Revocation[]): void {
    this.known.add(revocations);
    for (const listener of this.listeners) {
      try {
        listener(revocations);
      } catch (error) {
        this.logger.error(`a revocation listener failed: ${describeError(error)}`);
      }
    }
  }

  /** Drops expired entries off the log (see RevocationLogTrimmer), and expired revocations from memory. */
  private async trim(): Promise<void> {
    const now = Date.now();
    this.known.prune(now);
    this.outbox.prune(now);
    if (this.closed || !this.connection.writer.isReady) return;
    try {
      await this.connection.track(() => this.logTrimmer.round(now));
    } catch (error) {
      this.logger.debug?.(`trimming the revocation log failed: ${describeError(error)}`);
    }
  }
}
