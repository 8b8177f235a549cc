import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { createCluster } from 'redis';
import { BINARY_REPLY, runIdOf, type RedisCommands, type RedisLink, type RedisLinkSettings, type RedisTopology } from './redis-link.js';

/** Where a Redis Cluster is, as the `cluster` option of createRedisLogoutBackend gives it. */
export interface RedisClusterDescription {
  /** Some of its nodes, as `redis://host:port` URLs (`rediss://` for TLS): the others are discovered from them. */
  rootNodes: string[];
  /** Credentials of every node (ACL user, or `requirepass` alone), when the URLs carry none. */
  username?: string;
  password?: string;
}

/** A node client of the cluster client: where a slot-map refresh may start. */
interface NodeClient {
  readonly isReady: boolean;
}

/** What the link uses of a node-redis cluster client created with RESP 2. */
interface Cluster extends RedisCommands {
  readonly isOpen: boolean;
  readonly masters: ReadonlyArray<{ readonly client?: NodeClient }>;
  /**
   * node-redis' slot map. Not documented, but typed and public in node-redis 5: its `rediscover`
   * is what node-redis itself calls on a MOVED or ASK reply (it asks the given node, then the root
   * nodes, for CLUSTER SLOTS).
   */
  readonly _slots: { rediscover(startWith: NodeClient): Promise<void> };
  connect(): Promise<unknown>;
  destroy(): void;
  on(event: 'error' | 'node-error', listener: (error: unknown) => void): unknown;
  sendCommand<T>(firstKey: string, isReadonly: boolean, args: string[], options?: typeof BINARY_REPLY): Promise<T>;
}

/** Ms between two slot-map refreshes while a node keeps failing (node-redis retries it every reconnect delay). */
const SLOT_REFRESH_INTERVAL = 250;

/**
 * A link to a Redis Cluster (node-redis `createCluster`): each command goes to the master of
 * its key's slot, following MOVED and ASK redirections. Each link is a cluster client of its
 * own, with one connection per master it talks to (`minimizeConnections`): the reader's only
 * connects to the shard of the log, where its blocking XREAD holds up nothing else.
 *
 * node-redis refreshes its slot map only when a node answers MOVED or ASK
 * (https://github.com/redis/node-redis/issues/2806). A master that died answers nothing: the
 * client would keep reconnecting to it forever, and never learn that its replica took over its
 * slots. So each time a node's connection fails, the link has the slot map read again from a
 * node that still answers (at most every SLOT_REFRESH_INTERVAL ms): once the cluster has promoted
 * the replica, commands go to it, and the dead node's client is dropped.
 */
class ClusterLink extends EventEmitter implements RedisLink {
  private connected = false;
  private destroyed = false;
  private lastSlotRefresh = 0;
  private refreshing: Promise<void> | undefined;

  constructor(
    readonly redis: Cluster,
    private readonly reconnectStrategy: (retries: number) => number,
  ) {
    super();
    redis.on('error', (error: unknown) => this.emit('error', error));
    redis.on('node-error', (error: unknown) => {
      this.emit('error', error);
      this.refreshSlots();
    });
  }

  get isReady(): boolean {
    return this.connected && this.redis.isOpen;
  }

  /** Retries until a root node answers: unlike a single client, a cluster client gives up at once when none does. */
  async connect(): Promise<unknown> {
    for (let attempt = 0; !this.destroyed; attempt += 1) {
      try {
        await this.redis.connect();
        this.connected = true;
        this.emit('ready');
        return undefined;
      } catch (error) {
        if (this.destroyed) break;
        this.emit('error', error);
        await sleep(this.reconnectStrategy(attempt));
      }
    }
    throw new Error('the Redis Cluster link is closed');
  }

  destroy(): void {
    this.destroyed = true;
    if (this.redis.isOpen) this.redis.destroy();
  }

  /** Reads the slot map again, starting from a master whose connection is up (node-redis then tries the root nodes). */
  private refreshSlots(): void {
    const now = Date.now();
    if (!this.connected || this.destroyed || this.refreshing || now - this.lastSlotRefresh < SLOT_REFRESH_INTERVAL) return;
    const clients = this.redis.masters.flatMap((master) => (master.client ? [master.client] : []));
    const start = clients.find((client) => client.isReady) ?? clients[0];
    if (start === undefined) return;
    this.lastSlotRefresh = now;
    // A failed refresh is reported through the cluster client's 'error' event; the next node error retries.
    this.refreshing = this.redis._slots
      .rediscover(start)
      .catch(() => undefined)
      .finally(() => (this.refreshing = undefined));
  }

  readBinary(key: string, args: string[]): Promise<unknown> {
    return this.redis.sendCommand(key, true, args, BINARY_REPLY);
  }

  async serverId(key: string): Promise<string> {
    return runIdOf(await this.redis.sendCommand<string>(key, false, ['INFO', 'server']));
  }
}

export function clusterTopology(description: RedisClusterDescription): RedisTopology {
  return (settings: RedisLinkSettings) => {
    const cluster = createCluster({
      rootNodes: description.rootNodes.map((url) => ({ url })),
      RESP: 2,
      minimizeConnections: true,
      ...(settings.commandTimeout === undefined ? {} : { commandOptions: { timeout: settings.commandTimeout } }),
      defaults: {
        ...(description.username === undefined ? {} : { username: description.username }),
        ...(description.password === undefined ? {} : { password: description.password }),
        disableOfflineQueue: true,
        socket: {
          reconnectStrategy: settings.reconnectStrategy,
          ...(settings.socketTimeout === undefined ? {} : { socketTimeout: settings.socketTimeout }),
        },
      },
    });
    return new ClusterLink(cluster, settings.reconnectStrategy);
  };
}
