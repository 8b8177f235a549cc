import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createCluster } from 'redis';
import { freePort, RedisServer } from './redis-server.js';
import { waitFor } from './wait-for.js';

const CLI = process.env.REDIS_CLI_BIN ?? 'redis-cli';

/**
 * Three Redis Cluster masters (no replicas) on free loopback ports, their slots assigned by
 * `redis-cli --cluster create` (https://redis.io/docs/latest/operate/oss_and_stack/management/scaling/).
 * Each node's cluster bus gets a free port of its own (`cluster-port`, Redis 7), rather than
 * the default port + 10000, which may be taken or out of range.
 */
export class ClusterTopology {
  private constructor(readonly nodes: RedisServer[]) {}

  static async start(): Promise<ClusterTopology> {
    const nodes: RedisServer[] = [];
    for (let i = 0; i < 3; i += 1) {
      const busPort = await freePort();
      nodes.push(
        await RedisServer.start({
          args: (_port, dir) => ['--cluster-enabled', 'yes', '--cluster-port', String(busPort), '--cluster-config-file', `${dir}/nodes.conf`, '--cluster-node-timeout', '2000'],
        }),
      );
    }
    const topology = new ClusterTopology(nodes);
    await promisify(execFile)(CLI, ['--cluster', 'create', ...nodes.map((node) => `127.0.0.1:${node.port}`), '--cluster-replicas', '0', '--cluster-yes']);
    await waitFor(() => topology.everyNodeOk(), 'every cluster node to report cluster_state:ok', 20_000, 100);
    return topology;
  }

  /** Seed URLs, as the `cluster.rootNodes` option takes them. */
  get rootNodes(): string[] {
    return this.nodes.map((node) => node.url);
  }

  /** A cluster client of the test's own, for looking at keys and slots. */
  async admin(): Promise<ReturnType<typeof createCluster>> {
    const admin = createCluster({ rootNodes: this.rootNodes.map((url) => ({ url })) });
    admin.on('error', () => undefined);
    await admin.connect();
    return admin;
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((node) => node.stop()));
  }

  private async everyNodeOk(): Promise<boolean> {
    const replies = await Promise.all(
      this.nodes.map((node) => promisify(execFile)(CLI, ['-p', String(node.port), 'CLUSTER', 'INFO']).then(({ stdout }) => stdout)),
    );
    return replies.every((reply) => reply.includes('cluster_state:ok'));
  }
}
