import { EventEmitter } from 'node:events';
import { createSentinel } from 'redis';
import { withCommandDeadline } from './command-deadline.js';
import { BINARY_REPLY, runIdOf, type RedisCommands, type RedisLink, type RedisLinkSettings, type RedisTopology } from './redis-link.js';

/** Where a Sentinel deployment is, as the `sentinel` option of createRedisLogoutBackend gives it. */
export interface RedisSentinelDescription {
  /** Some of the Sentinels (three is plenty): the others and the master are discovered from them. */
  sentinels: Array<{ host: string; port: number }>;
  /** The master's name in the Sentinels' configuration (`sentinel monitor <name> ...`). */
  name: string;
  /** Credentials of the master and replicas (ACL user, or `requirepass` alone). */
  username?: string;
  password?: string;
  /** Credentials of the Sentinels themselves, when they require some. */
  sentinelUsername?: string;
  sentinelPassword?: string;
  /** Logical database. Default 0. */
  database?: number;
}

/** What the link uses of a node-redis Sentinel client created with RESP 2. */
interface Sentinel extends RedisCommands {
  readonly isOpen: boolean;
  readonly isReady: boolean;
  connect(): Promise<unknown>;
  destroy(): Promise<void>;
  on(event: 'error', listener: (error: unknown) => void): unknown;
  on(event: 'topology-change', listener: (event: { type: string }) => void): unknown;
  sendCommand<T>(isReadonly: boolean, args: string[], options?: typeof BINARY_REPLY): Promise<T>;
}

/**
 * A link through Sentinel (node-redis `createSentinel`): it asks the Sentinels where the master
 * is, follows failovers (Sentinels announce `+switch-master`), and retries a command that failed
 * on the old master once the new one is known. Each link is a Sentinel client of its own with
 * a pool of one master connection: the reader's blocking XREAD must not hold up the writer
 * (a lease shared between them would).
 */
class SentinelLink extends EventEmitter implements RedisLink {
  readonly redis: RedisCommands;
  /** The Sentinel client, with the command deadline when there is one. */
  private readonly commands: Sentinel;
  private connected = false;

  constructor(
    private readonly sentinel: Sentinel,
    commandTimeout: number | undefined,
  ) {
    super();
    this.commands = commandTimeout === undefined ? sentinel : withCommandDeadline(sentinel, commandTimeout);
    this.redis = this.commands;
    sentinel.on('error', (error: unknown) => this.emit('error', error));
    sentinel.on('topology-change', (event: { type: string }) => {
      // The first master is found by connect(); a later one is a failover.
      if (event.type === 'MASTER_CHANGE' && this.connected) this.emit('serverChange');
    });
  }

  get isReady(): boolean {
    return this.sentinel.isReady;
  }

  async connect(): Promise<unknown> {
    await this.sentinel.connect();
    this.connected = true;
    this.emit('ready');
    return undefined;
  }

  destroy(): void {
    if (this.sentinel.isOpen) this.sentinel.destroy().catch(() => undefined);
  }

  readBinary(_key: string, args: string[]): Promise<unknown> {
    return this.commands.sendCommand(true, args, BINARY_REPLY);
  }

  async serverId(): Promise<string> {
    return runIdOf(await this.sentinel.sendCommand<string>(false, ['INFO', 'server']));
  }
}

export function sentinelTopology(description: RedisSentinelDescription): RedisTopology {
  return (settings: RedisLinkSettings) => {
    const credentials = (username: string | undefined, password: string | undefined) => ({
      ...(username === undefined ? {} : { username }),
      ...(password === undefined ? {} : { password }),
    });
    const sentinel = createSentinel({
      name: description.name,
      sentinelRootNodes: description.sentinels.map(({ host, port }) => ({ host, port })),
      RESP: 2,
      masterPoolSize: 1,
      nodeClientOptions: {
        ...credentials(description.username, description.password),
        ...(description.database === undefined ? {} : { database: description.database }),
        disableOfflineQueue: true,
        commandOptions: settings.commandTimeout === undefined ? {} : { timeout: settings.commandTimeout },
        socket: {
          reconnectStrategy: settings.reconnectStrategy,
          ...(settings.socketTimeout === undefined ? {} : { socketTimeout: settings.socketTimeout }),
        },
      },
      sentinelClientOptions: credentials(description.sentinelUsername, description.sentinelPassword),
    });
    return new SentinelLink(sentinel, settings.commandTimeout);
  };
}
