import { EventEmitter } from 'node:events';
import { createClient, type RedisClientType } from 'redis';
import { BINARY_REPLY, runIdOf, type RedisLink, type RedisLinkSettings, type RedisTopology } from './redis-link.js';

/** What the backend uses of an app's node-redis client: its settings, which duplicate() copies. */
type AppRedisClient = Pick<RedisClientType, 'duplicate' | 'isReady' | 'options'>;

/** A plain node-redis v5 client has both; a cluster has no `isReady`, a sentinel no `duplicate()`. */
export function isAppRedisClient(value: unknown): value is AppRedisClient {
  return typeof value === 'object' && value !== null && 'duplicate' in value && typeof value.duplicate === 'function' &&
    'isReady' in value && typeof value.isReady === 'boolean';
}

/** Settings of our clients: node-redis' default modules, RESP2 replies, no type mapping (what `RedisClientType` is). */
type OurClientOptions = Partial<NonNullable<RedisClientType['options']>>;

/** A link to a single Redis node: one node-redis client, reporting its own state. */
class ClientLink extends EventEmitter implements RedisLink {
  constructor(readonly redis: RedisClientType) {
    super();
    // node-redis throws an unhandled 'error' event without a listener.
    redis.on('error', (error: unknown) => this.emit('error', error));
    redis.on('ready', () => this.emit('ready'));
  }

  get isReady(): boolean {
    return this.redis.isReady;
  }

  connect(): Promise<unknown> {
    return this.redis.connect();
  }

  destroy(): void {
    if (this.redis.isOpen) this.redis.destroy();
  }

  readBinary(_key: string, args: string[]): Promise<unknown> {
    return this.redis.sendCommand(args, BINARY_REPLY);
  }

  async serverId(): Promise<string> {
    return runIdOf(await this.redis.info('server'));
  }
}

/**
 * A single node, from a URL or from an app's client whose settings (host, TLS, credentials,
 * database) are copied with duplicate(): the app's connection is never used nor closed.
 */
export function clientTopology(source: { url: string } | { client: AppRedisClient }): RedisTopology {
  return (settings: RedisLinkSettings) => {
    const app = 'client' in source ? source.client : undefined;
    const overrides: OurClientOptions = {
      // Replies are parsed as RESP2 shapes (arrays, not maps) whatever the app's client uses.
      RESP: 2,
      // RESP3-only; the app's client may use it, ours never read cached keys.
      clientSideCache: undefined,
      // While Redis is unreachable a command fails at once rather than wait for a reconnect.
      disableOfflineQueue: true,
      commandOptions: settings.commandTimeout === undefined ? {} : { timeout: settings.commandTimeout },
      // Keeps an idle writer from being dropped (server `timeout`, NATs) right before a logout needs it.
      ...(settings.role === 'writer' ? { pingInterval: 15_000 } : {}),
      // The app's client's socket settings (host, TLS, ...) with ours on top; a URL's come from the URL.
      socket: {
        ...app?.options?.socket,
        reconnectStrategy: settings.reconnectStrategy,
        ...(settings.socketTimeout === undefined ? {} : { socketTimeout: settings.socketTimeout }),
      },
    };
    return new ClientLink(app ? app.duplicate(overrides) : createClient({ url: 'url' in source ? source.url : undefined, ...overrides }));
  };
}
