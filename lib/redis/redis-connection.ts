import type { RedisLink, RedisTopology } from './redis-link.js';
import { settlesWithin } from './settles-within.js';

interface RedisConnectionOptions {
  /** Opens the writer and the reader: a single node, Sentinel or Cluster. */
  topology: RedisTopology;
  commandTimeout: number;
  /** Idle time after which the reader's socket is considered dead (its blocking reads return well before). */
  readerIdleTimeout: number;
  maxReconnectDelay: number;
}

type ConnectionRole = 'writer' | 'reader';

/**
 * The two connections of a backend. The writer carries commands (XADD, SET NX, the registry);
 * the reader is dedicated to the blocking XREAD of the revocation log, which would otherwise hold
 * up every other command. Both are ours even when the app passed its own client (we duplicate
 * it), so that our settings hold and close() never touches the app's connection (the links of
 * each topology apply them, see client-link.ts, sentinel-link.ts, cluster-link.ts):
 * - no offline queue: while Redis is unreachable a command fails at once instead of waiting
 *   for a reconnect that may never come, so a logout request is answered promptly;
 * - a reconnect strategy that never gives up (node-redis' default stops after a socket timeout);
 * - a command timeout on the writer, a socket idle timeout on the reader (half-open sockets).
 */
export class RedisConnection {
  readonly writer: RedisLink;
  readonly reader: RedisLink;
  private connecting: Promise<void> | undefined;
  private closing: Promise<void> | undefined;
  private opened = false;
  /** When the writer lost its connection (undefined while it is up). */
  private writerDownSince: number | undefined;
  private readonly inflight = new Set<Promise<unknown>>();
  /**
   * Callers of writerReady() waiting for the writer. One 'ready' listener wakes them all: a
   * listener per waiting write would pass the emitter's limit (MaxListenersExceededWarning) as
   * soon as more than 10 writes wait for a connecting Redis.
   */
  private readonly readyWaiters = new Set<() => void>();

  constructor(options: RedisConnectionOptions, onError: (role: ConnectionRole, error: unknown) => void) {
    const reconnectStrategy = (retries: number) =>
      Math.min(25 * 2 ** Math.min(retries, 10), options.maxReconnectDelay) + Math.floor(Math.random() * 25);
    this.writer = options.topology({ role: 'writer', commandTimeout: options.commandTimeout, socketTimeout: undefined, reconnectStrategy });
    // No command timeout: the reader's XREAD blocks on purpose.
    this.reader = options.topology({ role: 'reader', commandTimeout: undefined, socketTimeout: options.readerIdleTimeout, reconnectStrategy });
    this.writer.on('error', (error: unknown) => {
      if (!this.writer.isReady) this.writerDownSince ??= Date.now();
      onError('writer', error);
    });
    this.writer.on('ready', () => {
      this.writerDownSince = undefined;
      this.wakeReadyWaiters();
    });
    this.reader.on('error', (error: unknown) => onError('reader', error));
  }

  get closed(): boolean {
    return this.closing !== undefined;
  }

  /** Opens both connections (once). Resolves when both are ready; node-redis retries until then. */
  connect(): Promise<void> {
    if (this.closing) return Promise.reject(new Error('the Redis logout backend is closed'));
    this.connecting ??= Promise.all([this.writer.connect(), this.reader.connect()]).then(() => {
      this.opened = true;
    });
    return this.connecting;
  }

  /**
   * Resolves true once the writer is ready, waiting at most `ms` (it may be reconnecting after a
   * blip, or not opened yet): a short wait rides out a reconnect, a real outage fails in bounded time.
   */
  async writerReady(ms: number): Promise<boolean> {
    if (this.closing) return false;
    if (this.writer.isReady) return true;
    if (!this.opened) this.connect().catch(() => undefined);
    // Down for a while already: an outage, not a blip; fail now rather than make every caller wait.
    const wait = ms - (this.writerDownSince === undefined ? 0 : Date.now() - this.writerDownSince);
    if (wait <= 0) return false;
    return new Promise<boolean>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.readyWaiters.delete(done);
        resolve(this.writer.isReady && !this.closing);
      };
      const timer = setTimeout(done, wait);
      this.readyWaiters.add(done);
    });
  }

  private wakeReadyWaiters(): void {
    for (const wake of [...this.readyWaiters]) wake();
  }

  /**
   * Runs a writer operation that close() should wait for. Every writer use goes through here
   * (publish, trim, the registry), so close() can wait for them and then destroy the socket
   * instead of node-redis' graceful close(), which waits forever for a reply that never comes.
   */
  async track<T>(operation: () => Promise<T>): Promise<T> {
    if (this.closing) throw new Error('the Redis logout backend is closed');
    const promise = operation();
    this.inflight.add(promise);
    try {
      return await promise;
    } finally {
      this.inflight.delete(promise);
    }
  }

  /** Releases both connections: the reader at once (it only waits in XREAD), the writer after its in-flight commands (1 s at most). */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.closing = (async () => {
      this.reader.destroy();
      if (this.inflight.size > 0) await settlesWithin(Promise.allSettled([...this.inflight]), 1_000);
      this.writer.destroy();
    })();
    // Writes still waiting for the connection fail now rather than at their timeout.
    this.wakeReadyWaiters();
    return this.closing;
  }
}
