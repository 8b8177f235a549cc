import { createClient } from 'redis';
import { RedisServer } from './redis-server.js';
import { waitFor } from './wait-for.js';

/** Ms a master may go unanswered before a Sentinel calls it down (Sentinel's default is 30 s). */
export const DOWN_AFTER_MS = 1_000;

/**
 * A master, a replica and three Sentinels (quorum 2) on free loopback ports: the smallest
 * Sentinel deployment that fails over (https://redis.io/docs/latest/operate/oss_and_stack/management/sentinel/).
 */
export class SentinelTopology {
  private constructor(
    readonly name: string,
    readonly master: RedisServer,
    readonly replica: RedisServer,
    readonly sentinels: RedisServer[],
  ) {}

  static async start(name = 'logout-master'): Promise<SentinelTopology> {
    const master = await RedisServer.start();
    const replica = await RedisServer.start({ args: () => ['--replicaof', '127.0.0.1', String(master.port)] });
    const sentinels = await Promise.all(
      [1, 2, 3].map(() =>
        RedisServer.start({
          sentinelConfig: () =>
            [
              `sentinel monitor ${name} 127.0.0.1 ${master.port} 2`,
              `sentinel down-after-milliseconds ${name} ${DOWN_AFTER_MS}`,
              `sentinel failover-timeout ${name} 10000`,
              `sentinel parallel-syncs ${name} 1`,
              '',
            ].join('\n'),
        }),
      ),
    );
    const topology = new SentinelTopology(name, master, replica, sentinels);
    // Sentinels find the replica (INFO of the master) and each other (hello messages) within seconds.
    await waitFor(() => topology.everySentinelSees(1, 2), 'every Sentinel to know the replica and the two other Sentinels', 20_000, 200);
    return topology;
  }

  /** The `sentinels` option of createRedisLogoutBackend. */
  get nodes(): Array<{ host: string; port: number }> {
    return this.sentinels.map((sentinel) => ({ host: '127.0.0.1', port: sentinel.port }));
  }

  /** The port of the master the Sentinels name now. */
  async masterPort(): Promise<number> {
    const [, port] = (await this.ask(this.sentinels[0]!, ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', this.name])) as [string, string];
    return Number(port);
  }

  /** The server that is master now. */
  async currentMaster(): Promise<RedisServer> {
    const port = await this.masterPort();
    return [this.master, this.replica].find((server) => server.port === port)!;
  }

  /** A field of the server's `INFO replication` (e.g. `master_repl_offset`). */
  async replicationField(server: RedisServer, field: string): Promise<string | undefined> {
    return new RegExp(`^${field}:(\\S+)`, 'm').exec((await this.ask(server, ['INFO', 'replication'])) as string)?.[1];
  }

  /** Whether the Sentinels list `server` as a replica of the current master, its link up. */
  async replicaInSync(server: RedisServer): Promise<boolean> {
    const replicas = (await this.ask(this.sentinels[0]!, ['SENTINEL', 'REPLICAS', this.name])) as string[][];
    return replicas.some((fields) => {
      const field = (name: string) => fields[fields.indexOf(name) + 1];
      return field('port') === String(server.port) && field('master-link-status') === 'ok' && !field('flags')!.includes('down');
    });
  }

  /** Asks a Sentinel for a failover without waiting for the master to fail; false when it refuses (no good replica yet). */
  async failover(): Promise<boolean> {
    try {
      return (await this.ask(this.sentinels[0]!, ['SENTINEL', 'FAILOVER', this.name])) === 'OK';
    } catch {
      return false;
    }
  }

  async stop(): Promise<void> {
    await Promise.all([...this.sentinels, this.master, this.replica].map((server) => server.stop()));
  }

  private async everySentinelSees(replicas: number, otherSentinels: number): Promise<boolean> {
    for (const sentinel of this.sentinels) {
      const seenReplicas = (await this.ask(sentinel, ['SENTINEL', 'REPLICAS', this.name])) as unknown[];
      const seenSentinels = (await this.ask(sentinel, ['SENTINEL', 'SENTINELS', this.name])) as unknown[];
      if (seenReplicas.length < replicas || seenSentinels.length < otherSentinels) return false;
    }
    return true;
  }

  /** One command to one server (a Sentinel or a data node), on a connection of its own. */
  async ask(server: RedisServer, command: string[]): Promise<unknown> {
    const client = createClient({ url: server.url });
    client.on('error', () => undefined);
    await client.connect();
    try {
      return await client.sendCommand(command);
    } finally {
      client.destroy();
    }
  }
}
