import { setImmediate, setTimeout as sleep } from 'node:timers/promises';
import type { LoggerService } from '@nestjs/common';
import { ErrorReply } from 'redis';
import type { Revocation } from '../revocation/revocation.interface.js';
import type { FreshnessClock } from './freshness-clock.js';
import type { KnownRevocations } from './known-revocations.js';
import { readLivePage, UnexpectedPageReply, type LivePage } from './live-log-page.js';
import { LogContinuity } from './log-continuity.js';
import type { RedisConnection } from './redis-connection.js';
import type { RedisCommands, RedisLink } from './redis-link.js';
import type { RedisKeys } from './redis-keys.js';
import type { RevocationLogCompactor } from './revocation-log-compactor.js';
import type { RevocationOutbox } from './revocation-outbox.js';
import { encodeEntry, nextStreamId } from './revocation-codec.js';
import { pageRevocations } from './page-revocations.js';
import { readEntriesPage } from './log-entries-page.js';
import { describeError } from './describe-error.js';

/** Entries read per blocking XREAD; a full page means more may follow, so the view is not yet known complete. */
const READ_BATCH = 500;
/**
 * Entries read per page while catching up (at start, after a reconnect). The next page is asked
 * for before one is applied, so round trips overlap with the work here; a page of the script
 * (live-log-page.ts) keeps Redis busy for a few ms at most (see bench/catch-up.ts).
 */
const CATCH_UP_PAGE = 1_000;
/** Entries per XREAD while catching up without the script. */
const CATCH_UP_BATCH = 5_000;
/**
 * Above this share of live entries in a catch-up page, the next page is read with XREAD, and
 * below it with the script: per entry, the script costs Redis a few times what XREAD does, which
 * only pays while it spares this instance the decoding of many expired entries (bench/catch-up.ts).
 */
const SCRIPT_MAX_LIVE_SHARE = 0.25;
/** Revocations per stream entry when re-publishing a lost log. */
const RESEED_BATCH = 250;

/** How long the reader's XREAD blocks: a quarter of `maxStaleness`, so a healthy view is never older than about half of it. */
export function readerBlockTime(maxStaleness: number): number {
  return Math.max(20, Math.min(1_000, Math.floor(maxStaleness / 4)));
}

/** A page of the log asked for, not yet applied. */
interface PageRead {
  /** Id after which it reads: the last entry applied when it was asked for. */
  after: string;
  /** Entries asked for: a page of as many may be followed by more. */
  count: number;
  /** Read with the catch-up script: a refusal of it is no connection failure, XREAD reads instead. */
  byScript: boolean;
  sentAt: number;
  reply: Promise<LivePage>;
}

interface RevocationLogReaderParts {
  clock: FreshnessClock;
  outbox: RevocationOutbox;
  known: KnownRevocations;
  compactor: RevocationLogCompactor;
  /** Applies revocations read from the log on this instance. */
  deliver: (revocations: Revocation[]) => void;
  logger: LoggerService;
}

/**
 * Reads the shared revocation log on the reader connection, from the last entry applied here:
 * after every (re)connection it checks whether Redis lost the log (and then re-publishes what
 * this instance knows), writes the outbox, catches up without blocking (a script that reads
 * pages on the server and sends back their live entries only), then waits for new entries with
 * a blocking XREAD. Each read that reaches the end of the log tells the freshness
 * clock the view is complete as of when that read was sent. Runs until stop().
 */
export class RevocationLogReader {
  private lastApplied = '0-0';
  private isConnected = false;
  private lastFailure: string | undefined;
  private readonly stopping = new AbortController();
  private readonly continuity: LogContinuity;
  private readonly blockMs: number;
  private loop: Promise<void> | undefined;
  /** The next catch-up page, asked for before the previous one was applied. */
  private ahead: PageRead | undefined;
  /** Whether the next catch-up page is read with the script (else XREAD): as long as pages are mostly expired. */
  private useScript = true;
  /** The server refused the catch-up script (ACL, a server without it) since the last (re)connection: XREAD instead. */
  private scriptRefused = false;
  /** A compaction is under way beside the loop (compactBeside). */
  private compacting = false;
  /** A compaction found the log on another server than the one of the last check: resync. */
  private serverMoved = false;

  constructor(
    private readonly connection: RedisConnection,
    private readonly keys: RedisKeys,
    private readonly parts: RevocationLogReaderParts,
  ) {
    this.continuity = new LogContinuity(keys);
    this.blockMs = readerBlockTime(parts.clock.maxStaleness);
  }

  /** Id of the last log entry applied here. */
  get lastEntryId(): string {
    return this.lastApplied;
  }

  get connected(): boolean {
    return this.isConnected;
  }

  /** Why the reader last lost its connection, or failed to make one. */
  get lastError(): string | undefined {
    return this.lastFailure;
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** Ends the loop; the returned promise settles once it has (after the connection is closed too, if it is in a read). */
  stop(): Promise<void> {
    this.stopping.abort();
    return this.loop ?? Promise.resolve();
  }

  private get stopped(): boolean {
    return this.stopping.signal.aborted || this.connection.closed;
  }

  private async run(): Promise<void> {
    const link = this.connection.reader;
    const reader = link.redis;
    let resync = true;
    // A Sentinel failover moves the reader to the new master without failing its command: what
    // this instance read from the old one may be missing there, so check as after a reconnect.
    const onServerChange = () => (resync = true);
    link.on('serverChange', onServerChange);
    // Catching up reads without blocking: a blocking XREAD on a log with nothing new would only
    // return at its timeout, delaying the first complete read (and start()) by that much.
    let catchingUp = true;
    let backoff = 0;
    while (!this.stopped) {
      try {
        if (!link.isReady) {
          await this.readerReady(link);
          continue;
        }
        if (this.serverMoved) {
          this.serverMoved = false;
          resync = true;
        }
        if (resync) {
          resync = false;
          await this.resync(link);
          catchingUp = true;
        }
        if (this.parts.outbox.needsFlush) await this.flushOutbox(reader);
        const reachedEnd = await this.readOnce(link, !catchingUp);
        catchingUp = !reachedEnd;
        if (reachedEnd) this.parts.known.sortInBackground();
        // Compaction snapshots what is known: once it is sorted in, not to wait here meanwhile.
        if (reachedEnd && !resync && this.parts.known.sorted && this.parts.compactor.due()) this.compactBeside(this.lastApplied);
        backoff = 0;
      } catch (error) {
        this.ahead = undefined;
        if (this.stopped) break;
        resync = true;
        this.lastFailure = describeError(error);
        if (this.isConnected) {
          this.isConnected = false;
          this.parts.logger.warn(
            `lost the connection to Redis (${this.lastFailure}); reconnecting, the view stays usable for up to ${this.parts.clock.maxStaleness} ms`,
          );
        }
        backoff = Math.min(backoff * 2 || 25, 1_000);
        await sleep(backoff, undefined, { signal: this.stopping.signal }).catch(() => undefined);
      }
    }
    link.off('serverChange', onServerChange);
  }

  /** Waits for the reader's 'ready' event, at most 250 ms, or until stop(). */
  private async readerReady(reader: RedisLink): Promise<void> {
    const signal = this.stopping.signal;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        reader.off('ready', done);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, 250);
      reader.on('ready', done);
      signal.addEventListener('abort', done);
    });
  }

  /**
   * After a (re)connection or a failover: ends an outage on the clock, and re-publishes what this
   * instance knows when Redis may have lost part of the log (see LogContinuity). Every instance
   * does, so a revocation survives as long as one instance that knew it does: the one that
   * answered the logout applied it before answering.
   */
  private async resync(link: RedisLink): Promise<void> {
    const reader = link.redis;
    const first = this.continuity.firstCheck;
    const endsAnOutage = this.parts.clock.endsAnOutage(first);
    this.ahead = undefined;
    this.useScript = true;
    this.scriptRefused = false;
    const loss = await this.continuity.lossSince(link, this.lastApplied);
    if (!this.isConnected) {
      this.isConnected = true;
      this.parts.logger.log(first ? 'connected to Redis; reading the revocation log' : `reconnected to Redis; catching up after log entry ${this.lastApplied}`);
    }
    if (endsAnOutage || loss) this.parts.clock.holdForRecovery(loss ?? 'back from a Redis outage');
    if (loss === undefined) return;
    // So that the other instances, and those started from now on, still learn them.
    const live = this.parts.known.live();
    this.parts.logger.warn(`${loss}: re-publishing the ${live.length} live revocation(s) this instance knows`);
    this.lastApplied = '0-0';
    for (let i = 0; i < live.length; i += RESEED_BATCH) {
      await reader.xAdd(this.keys.stream, '*', encodeEntry(live.slice(i, i + RESEED_BATCH)));
    }
  }

  /**
   * Right after a read that reached the end, the view here is complete up to `covered`: compacts
   * on the writer connection while this loop goes on reading. Inside the loop, re-writing a large
   * log (a million live revocations are 4,000 entries) would stop the reads for longer than
   * `maxStaleness`, and the view would turn stale just after start-up. One at a time; a failure
   * is logged and left for the next period.
   */
  private compactBeside(covered: string): void {
    const writer = this.connection.writer;
    if (this.compacting || !writer.isReady) return;
    this.compacting = true;
    this.compact(writer, covered)
      .catch((error: unknown) => {
        const line = `compacting the revocation log failed (${describeError(error)}); trying again next period`;
        // A refusal by Redis is worth a warning; a lost connection is reported by the reader already.
        if (error instanceof ErrorReply) this.parts.logger.warn(line);
        else this.parts.logger.debug?.(line);
      })
      .finally(() => (this.compacting = false));
  }

  private async compact(writer: RedisLink, covered: string): Promise<void> {
    // Trimming on another server than the one read (a failover since the read) could drop
    // entries never read here: then the loop checks the log again, as after a reconnection.
    if (!(await this.continuity.sameServer(this.connection.reader))) {
      this.serverMoved = true;
      return;
    }
    if (!(await this.continuity.sameServer(writer))) return;
    const done = await this.parts.compactor.compact(writer.redis, covered, this.parts.known.live());
    if (done) this.parts.logger.log(`compacted the revocation log: ${done.snapshot} live revocation(s) re-written, ${done.removed} older entries removed`);
  }

  /** On the reader: it is connected now, while the writer may still be reconnecting. */
  private async flushOutbox(reader: RedisCommands): Promise<void> {
    const written = await this.parts.outbox.flush((batch) => reader.xAdd(this.keys.stream, '*', encodeEntry(batch)));
    if (written > 0) this.parts.logger.log(`wrote ${written} revocation(s) made while Redis was unreachable to the log`);
  }

  /**
   * One read from the last applied entry; resolves true when it reached the end of the log.
   * Catching up, a full page means more may follow: the next one is asked for before this one is
   * applied, so that Redis reads it (and the socket brings it in) meanwhile. Once caught up, a
   * blocking XREAD waits for new entries.
   */
  private async readOnce(link: RedisLink, block: boolean): Promise<boolean> {
    const ahead = this.ahead?.after === this.lastApplied ? this.ahead : undefined;
    this.ahead = undefined;
    const read = block ? this.askForEntries(link, this.lastApplied, READ_BATCH, this.blockMs) : (ahead ?? this.askForPage(link, this.lastApplied));
    let page: LivePage;
    try {
      page = await read.reply;
    } catch (error) {
      if (!read.byScript || !(error instanceof ErrorReply || error instanceof UnexpectedPageReply)) throw error;
      this.scriptRefused = true;
      this.parts.logger.warn(`Redis refused the catch-up script (${describeError(error)}): catching up with XREAD, expired entries included`);
      return false;
    }
    const full = page.read >= read.count;
    if (!block) {
      this.useScript = page.ids.length <= page.read * SCRIPT_MAX_LIVE_SHARE;
      if (full && page.lastId !== undefined) {
        this.ahead = this.askForPage(link, page.lastId);
        // node-redis writes the commands asked for in a turn of the event loop at its end
        // (setImmediate): let it send this one before the page is applied, or Redis would only
        // get it once the page is.
        await setImmediate();
      }
    }
    this.apply(page);
    if (full) return false;
    this.parts.clock.markFresh(read.sentAt);
    return true;
  }

  /**
   * A catch-up page after `after`: with the script (live-log-page.ts), which passes over expired
   * entries on the server, while pages are mostly expired; else with XREAD.
   */
  private askForPage(link: RedisLink, after: string): PageRead {
    if (!this.useScript || this.scriptRefused) return this.askForEntries(link, after, CATCH_UP_BATCH);
    const sentAt = Date.now();
    const reply = readLivePage(link.redis, this.keys.stream, nextStreamId(after), CATCH_UP_PAGE, sentAt);
    // Awaited later, or dropped after a failure: never an unhandled rejection meanwhile.
    reply.catch(() => undefined);
    return { after, count: CATCH_UP_PAGE, byScript: true, sentAt, reply };
  }

  /** XREAD after `after` (blocking for `blockMs` when given). */
  private askForEntries(link: RedisLink, after: string, count: number, blockMs?: number): PageRead {
    const sentAt = Date.now();
    const reply = readEntriesPage(link, this.keys.stream, after, count, blockMs);
    reply.catch(() => undefined);
    return { after, count, byScript: false, sentAt, reply };
  }

  /** Applies the live entries of a page; the entries it passed over (expired) count as applied too. */
  private apply(page: LivePage): void {
    const live = pageRevocations(page, (id) => {
      this.parts.logger.warn(`skipped log entry ${id}: not a revocation batch`);
    });
    if (page.lastId !== undefined) this.lastApplied = page.lastId;
    // Delivered together: one pass of the listeners per page rather than per entry.
    if (live.length > 0) this.parts.deliver(live);
  }
}
