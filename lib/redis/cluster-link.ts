import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { createCluster } from 'redis';
import { runIdOf, type RedisCommands, type RedisLink, type RedisLinkSettings, type RedisTopology } from './redis-link.js';

/** Where a Redis Cluster is, as the `cluster` option of createRedisLogoutBackend gives it. */
export interface RedisClusterDescription {
  /** Some of its nodes, as `redis://host:port` URLs (`rediss://` for TLS): the others are discovered from them. */
  rootNodes: string[];
  /** Credentials of every node (ACL user, or `requirepass` alone), when the URLs carry none. */
  username?: string;
  password?: string;
}

/** What the link uses of a node-redis cluster client created with RESP 2. */
interface Cluster extends RedisCommands {
  readonly isOpen: boolean;
  connect(): Promise<unknown>;
  destroy(): void;
  on(event: 'error' | 'node-error', listener: (error: unknown) => void): unknown;
  sendCommand<T>(firstKey: string, isReadonly: boolean, args: string[]): Promise<T>;
}

/**
 * A link to a Redis Cluster (node-redis `createCluster`): each command goes to the master of
 * its key's slot, following MOVED and ASK redirections. Each link is a cluster client of its
 * own, with one connection per master it talks to (`minimizeConnections`): the reader's only
 * connects to the shard of the log, where its blocking XREAD holds up nothing else.
 */
class ClusterLink extends EventEmitter implements RedisLink {
  private connected = false;
  private destroyed = false;

  constructor(
    readonly redis: Cluster,
    private readonly reconnectStrategy: (retries: number) => number,
  ) {
    super();
    redis.on('error', (error: unknown) => this.emit('error', error));
    redis.on('node-error', (error: unknown) => this.emit('error', error));
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
