import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LoggerService } from '@nestjs/common';
import { ErrorReply, type RedisClientType } from 'redis';
import { LogoutFailedError } from '../errors/logout-failed.error.js';
import { RevocationBus, type RevocationBusHealth, type RevocationListener } from '../revocation/revocation-bus.js';
import type { Revocation } from '../revocation/revocation.interface.js';
import { KnownRevocations } from './known-revocations.js';
import type { RedisConnection } from './redis-connection.js';
import type { RedisKeys } from './redis-keys.js';
import { RevocationLogTrimmer } from './revocation-log-trimmer.js';
import { compareStreamIds, decodeEntry, encodeEntry } from './revocation-codec.js';

/** Entries read per XREAD; a full page means more may follow, so the view is not yet known complete. */
const READ_BATCH = 500;
/** Revocations per stream entry when re-publishing a lost log. */
const RESEED_BATCH = 250;

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


function describe(error: unknown): string {
  return error instanceof Error ? error.message || error.name : String(error);
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
 * Freshness: the view is known complete as of the moment the last XREAD that came back with
 * less than a full page was *sent* (it returned everything added before it ran). XREAD blocks
 * for at most `maxStaleness / 4`, so on a healthy connection that moment is never older than
 * about half of `maxStaleness`; the view turns stale when it is older than `maxStaleness`.
 * After a reconnect the reader first checks whether Redis lost the log, writes out revocations
 * it could not write while Redis was away, then catches up; only a complete read clears stale.
 *
 * Bounded: every entry carries its latest `expiresAt`; each instance periodically removes
 * expired entries from the log (the head with XTRIM MINID; behind a long-lived entry, XDEL), and
 * drops expired revocations from its own memory.
 */
export class RedisRevocationBus extends RevocationBus {
  private readonly listeners: RevocationListener[] = [];
  private readonly known = new KnownRevocations();
  /** Batches enforced here that could not be written to Redis yet. */
  private readonly outbox: Revocation[][] = [];
  private readonly blockMs: number;
  private readonly stop = new AbortController();
  private readonly logger: LoggerService;
  private lastId = '0-0';
  private epoch: string | undefined;
  /** Epoch ms up to which this instance's view is known complete. */
  private freshAsOf = Number.NEGATIVE_INFINITY;
  /** Epoch ms before which the view counts as stale whatever was read (see holdAfterRecovery). */
  private holdUntil = 0;
  private reportedStale = true;
  private readerConnected = false;
  private lastReaderError: string | undefined;
  private started = false;
  /** start() gave up waiting: the first sync then ends an outage like any later one. */
  private startTimedOut = false;
  private closed = false;
  private loop: Promise<void> | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  private trimmer: NodeJS.Timeout | undefined;
  private firstSync: (() => void) | undefined;
  private readonly synced: Promise<void>;
  private readonly freshHealth: RevocationBusHealth = { stale: false, detail: 'fresh' };
  private readonly logTrimmer: RevocationLogTrimmer;

  constructor(
    private readonly connection: RedisConnection,
    private readonly keys: RedisKeys,
    private readonly options: RedisRevocationBusOptions,
  ) {
    super();
    this.logger = options.logger;
    this.blockMs = RedisRevocationBus.blockTime(options.maxStaleness);
    this.logTrimmer = new RevocationLogTrimmer(() => this.writer, keys.stream);
    this.synced = new Promise<void>((resolve) => {
      this.firstSync = resolve;
    });
  }

  /** How long the reader's XREAD blocks; its socket idle timeout must be longer. */
  static blockTime(maxStaleness: number): number {
    return Math.max(20, Math.min(1_000, Math.floor(maxStaleness / 4)));
  }

  subscribe(listener: RevocationListener): void {
    this.listeners.push(listener);
  }

  /**
   * Writes the batch to the log and applies it here. When Redis cannot take it, the batch is
   * still enforced here at once and queued for the log (written when Redis is back), and the
   * promise rejects: the logout is not yet durable, and the caller (the OP) should know.
   */
  async publish(revocations: Revocation[]): Promise<void> {
    if (revocations.length === 0) return;
    if (this.closed) throw new LogoutFailedError('unavailable', 'the Redis revocation bus is closed');
    try {
      await this.write(revocations);
    } catch (error) {
      this.outbox.push([...revocations]);
      this.deliver(revocations);
      this.logger.warn(
        `could not write ${revocations.length} revocation(s) to Redis (${describe(error)}): enforced on this instance, ` +
          `queued for the others (${this.unsharedCount()} unshared)`,
      );
      throw new LogoutFailedError(
        'unavailable',
        'Redis is unreachable: the revocation is enforced on this instance and will reach the other instances when Redis is back',
        { cause: error },
      );
    }
    this.deliver(revocations);
  }

  /** XADD on the writer; a connection blip (not a Redis error reply) gets one more try once it is back. */
  private async write(revocations: Revocation[]): Promise<void> {
    const entry = encodeEntry(revocations);
    for (let attempt = 1; ; attempt += 1) {
      // Normally connected since start(); a revocation made earlier (during bootstrap) opens it.
      if (!(await this.connection.writerReady(this.options.commandTimeout))) throw new Error('Redis is not reachable');
      try {
        await this.connection.track(() => this.writer.xAdd(this.keys.stream, '*', entry));
        return;
      } catch (error) {
        if (attempt >= 2 || error instanceof ErrorReply || this.closed) throw error;
      }
    }
  }

  /** Hot path of every guarded request: two comparisons and no I/O. */
  health(): RevocationBusHealth {
    const stale = this.isStale(Date.now());
    if (stale !== this.reportedStale) this.observe();
    return stale ? { stale: true, detail: this.staleDetail(Date.now()) } : this.freshHealth;
  }

  status(): RedisBusStatus {
    const now = Date.now();
    const stale = this.isStale(now);
    let state: RedisBusState;
    if (this.closed) state = 'closed';
    else if (!this.started) state = 'idle';
    else if (now < this.holdUntil) state = 'recovering';
    else if (this.freshAsOf === Number.NEGATIVE_INFINITY) state = 'starting';
    else if (stale) state = 'stale';
    else if (!this.readerConnected) state = 'reconnecting';
    else state = 'fresh';
    return {
      state,
      stale,
      detail: stale ? this.staleDetail(now) : state === 'reconnecting' ? `reconnecting (${this.lastReaderError ?? 'connection lost'})` : 'fresh',
      lagMs: this.freshAsOf === Number.NEGATIVE_INFINITY ? null : Math.max(0, now - this.freshAsOf),
      maxStaleness: this.options.maxStaleness,
      lastEntryId: this.lastId,
      unsharedRevocations: this.unsharedCount(),
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
    this.loop = this.run();
    const watchEvery = Math.max(50, Math.min(1_000, Math.floor(this.options.maxStaleness / 2)));
    this.watchdog = setInterval(() => this.observe(), watchEvery).unref();
    this.trimmer = setInterval(() => void this.trim(), this.options.trimInterval).unref();
    let timer: NodeJS.Timeout | undefined;
    const inTime = await Promise.race([
      this.synced.then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), this.options.startTimeout);
      }),
    ]);
    clearTimeout(timer);
    if (!inTime) {
      this.startTimedOut = true;
      this.logger.error(
        `could not read the revocation log from Redis within ${this.options.startTimeout} ms ` +
          `(${this.lastReaderError ?? 'no answer'}); the view is stale and guards apply the failure policy until it is caught up`,
      );
    } else {
      void this.trim();
    }
  }

  override async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stop.abort();
    clearInterval(this.watchdog);
    clearInterval(this.trimmer);
    await this.connection.close();
    await this.loop;
    const unshared = this.unsharedCount();
    if (unshared > 0) this.logger.warn(`closed with ${unshared} revocation(s) that never reached Redis`);
  }

  private get writer(): RedisClientType {
    return this.connection.writer;
  }

  private isStale(now: number): boolean {
    return this.closed || now - this.freshAsOf > this.options.maxStaleness || now < this.holdUntil;
  }

  private staleDetail(now: number): string {
    if (this.closed) return 'the Redis revocation bus is closed';
    if (now < this.holdUntil) return `recovering from a Redis outage: waiting ${this.holdUntil - now} ms for other instances' revocations`;
    if (this.freshAsOf === Number.NEGATIVE_INFINITY) {
      return this.started ? 'the revocation log has not been read from Redis yet' : 'the Redis revocation bus has not been started';
    }
    return `no complete read of the revocation log from Redis for ${now - this.freshAsOf} ms (limit ${this.options.maxStaleness} ms)`;
  }

  /** Logs each change between fresh and stale, once. */
  private observe(): void {
    if (this.closed) return;
    const now = Date.now();
    const stale = this.isStale(now);
    if (stale === this.reportedStale) return;
    this.reportedStale = stale;
    if (stale) {
      this.logger.error(`revocation view is STALE: ${this.staleDetail(now)}; guards apply the failure policy`);
    } else {
      this.logger.log(`revocation view is fresh: caught up to log entry ${this.lastId}, ${this.known.size} live revocation(s)`);
    }
  }

  private unsharedCount(): number {
    return this.outbox.reduce((sum, batch) => sum + batch.length, 0);
  }

  private deliver(revocations: Revocation[]): void {
    for (const revocation of revocations) this.known.add(revocation);
    for (const listener of this.listeners) {
      try {
        listener(revocations);
      } catch (error) {
        this.logger.error(`a revocation listener failed: ${describe(error)}`);
      }
    }
  }

  private markFresh(asOf: number): void {
    // Reads sent during a recovery hold do not count: the view is complete only after it.
    if (asOf <= this.freshAsOf || asOf < this.holdUntil) return;
    this.freshAsOf = asOf;
    this.firstSync?.();
    this.firstSync = undefined;
    if (this.reportedStale) this.observe();
  }

  /** The reader: resync after every (re)connect, then blocking reads. Ends at close(). */
  private async run(): Promise<void> {
    const reader = this.connection.reader;
    let resync = true;
    // Catching up reads without blocking: a blocking XREAD on a log with nothing new would only
    // return at its timeout, delaying the first complete read (and start()) by that much.
    let catchingUp = true;
    let backoff = 0;
    while (!this.closed && !this.connection.closed) {
      try {
        if (!reader.isReady) {
          await this.readerReady(reader);
          continue;
        }
        if (resync) {
          await this.resync(reader);
          resync = false;
          catchingUp = true;
        }
        if (this.outbox.length > 0) await this.flushOutbox(reader);
        catchingUp = !(await this.readOnce(reader, !catchingUp));
        backoff = 0;
      } catch (error) {
        if (this.closed || this.connection.closed) break;
        resync = true;
        this.lastReaderError = describe(error);
        if (this.readerConnected) {
          this.readerConnected = false;
          this.logger.warn(
            `lost the connection to Redis (${this.lastReaderError}); reconnecting, the view stays usable for up to ${this.options.maxStaleness} ms`,
          );
        }
        backoff = Math.min(backoff * 2 || 25, 1_000);
        await sleep(backoff, undefined, { signal: this.stop.signal }).catch(() => undefined);
      }
    }
  }

  private async readerReady(reader: RedisClientType): Promise<void> {
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        reader.off('ready', done);
        this.stop.signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, 250);
      reader.once('ready', done);
      this.stop.signal.addEventListener('abort', done);
    });
  }

  /**
   * After a (re)connect: detect a lost log (the epoch key changed, or the log's last id went
   * backwards) and re-publish what this instance knows, so instances started later learn it.
   */
  private async resync(reader: RedisClientType): Promise<void> {
    const first = this.epoch === undefined;
    const wasStale = (!first || this.startTimedOut) && this.isStale(Date.now());
    await reader.set(this.keys.epoch, randomUUID(), { NX: true });
    const epoch = (await reader.get(this.keys.epoch)) ?? undefined;
    let lost = !first && epoch !== this.epoch;
    if (!lost && this.lastId !== '0-0') {
      const lastGenerated = await this.lastGeneratedId(reader);
      lost = lastGenerated === undefined || compareStreamIds(lastGenerated, this.lastId) < 0;
    }
    this.epoch = epoch;
    if (!this.readerConnected) {
      this.readerConnected = true;
      this.logger.log(first ? 'connected to Redis; reading the revocation log' : `reconnected to Redis; catching up after log entry ${this.lastId}`);
    }
    if (wasStale || lost) this.holdAfterRecovery(lost ? 'Redis lost the revocation log' : 'back from a Redis outage');
    if (!lost) return;
    const live = this.known.live();
    this.logger.warn(
      `the shared revocation log was lost (Redis restarted without persistence, was flushed or failed over); ` +
        `re-publishing the ${live.length} live revocation(s) this instance knows`,
    );
    this.lastId = '0-0';
    for (let i = 0; i < live.length; i += RESEED_BATCH) {
      await reader.xAdd(this.keys.stream, '*', encodeEntry(live.slice(i, i + RESEED_BATCH)));
    }
  }

  /**
   * After an outage longer than `maxStaleness`, or when Redis lost the log, other instances may
   * still hold revocations they enforced but could not write (their outbox). They write them as
   * soon as they reconnect, which the reconnect back-off bounds: stay stale that long, reading
   * all the while, so that no instance accepts such a token in between.
   */
  private holdAfterRecovery(why: string): void {
    this.holdUntil = Date.now() + this.options.recoveryGrace;
    this.logger.log(`${why}: keeping the view stale for ${this.options.recoveryGrace} ms while other instances write what they revoked meanwhile`);
  }

  private async lastGeneratedId(reader: RedisClientType): Promise<string | undefined> {
    try {
      const info = (await reader.xInfoStream(this.keys.stream)) as unknown as Record<string, unknown>;
      const id = info['last-generated-id'];
      return typeof id === 'string' ? id : undefined;
    } catch (error) {
      if (/no such key/i.test(describe(error))) return undefined;
      throw error;
    }
  }

  private async flushOutbox(client: RedisClientType): Promise<void> {
    let shared = 0;
    while (this.outbox.length > 0) {
      const now = Date.now();
      const batch = this.outbox[0]!.filter((revocation) => revocation.expiresAt > now);
      if (batch.length > 0) await client.xAdd(this.keys.stream, '*', encodeEntry(batch));
      shared += batch.length;
      this.outbox.shift();
    }
    if (shared > 0) this.logger.log(`wrote ${shared} revocation(s) made while Redis was unreachable to the log`);
  }

  /** One XREAD from the last applied entry; resolves true when it reached the end of the log. */
  private async readOnce(reader: RedisClientType, block: boolean): Promise<boolean> {
    const sentAt = Date.now();
    const reply = await reader.xRead(
      { key: this.keys.stream, id: this.lastId },
      block ? { BLOCK: this.blockMs, COUNT: READ_BATCH } : { COUNT: READ_BATCH },
    );
    const messages = reply?.[0]?.messages ?? [];
    for (const { id, message } of messages) {
      this.lastId = id;
      const revocations = decodeEntry(message);
      if (revocations === undefined) {
        this.logger.warn(`skipped log entry ${id}: not a revocation batch`);
        continue;
      }
      if (revocations.length > 0) this.deliver(revocations);
    }
    if (messages.length >= READ_BATCH) return false;
    this.markFresh(sentAt);
    return true;
  }

  /** Drops expired entries off the log (see RevocationLogTrimmer), and expired revocations from memory. */
  private async trim(): Promise<void> {
    const now = Date.now();
    this.known.prune(now);
    for (const batch of this.outbox) batch.splice(0, batch.length, ...batch.filter((r) => r.expiresAt > now));
    if (this.closed || !this.writer.isReady) return;
    try {
      await this.connection.track(() => this.logTrimmer.round(now));
    } catch (error) {
      this.logger.debug?.(`trimming the revocation log failed: ${describe(error)}`);
    }
  }
}
