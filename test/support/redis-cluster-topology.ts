import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createCluster } from 'redis';
import { freePort, RedisServer } from './redis-server.js';
import { waitFor } from './wait-for.js';

const CLI = process.env.REDIS_CLI_BIN ?? 'redis-cli';
const run = promisify(execFile);

interface ClusterTopologyOptions {
  /** Replicas per master (`--cluster-replicas`). Default 0: three masters alone. */
  replicas?: number;
  /** `cluster-node-timeout`, ms: how long a node may go unanswered before it is flagged as failing. */
  nodeTimeout?: number;
}

/**
 * Three Redis Cluster masters (and, if asked, replicas) on free loopback ports, their slots
 * assigned by `redis-cli --cluster create`
 * (https://redis.io/docs/latest/operate/oss_and_stack/management/scaling/). Each node's cluster
 * bus gets a free port of its own (`cluster-port`, Redis 7), rather than the default port + 10000,
 * which may be taken or out of range.
 */
export class ClusterTopology {
  private constructor(readonly nodes: RedisServer[]) {}

  static async start(options: ClusterTopologyOptions = {}): Promise<ClusterTopology> {
    const replicas = options.replicas ?? 0;
    const nodeTimeout = options.nodeTimeout ?? 2_000;
    const nodes: RedisServer[] = [];
    const topology = new ClusterTopology(nodes);
    try {
      for (let i = 0; i < 3 * (1 + replicas); i += 1) {
        const busPort = await freePort();
        nodes.push(
          await RedisServer.start({
            args: (_port, dir) => [
              '--cluster-enabled', 'yes', '--cluster-port', String(busPort), '--cluster-config-file', `${dir}/nodes.conf`,
              '--cluster-node-timeout', String(nodeTimeout),
            ],
          }),
        );
      }
      await run(CLI, ['--cluster', 'create', ...nodes.map((node) => `127.0.0.1:${node.port}`), '--cluster-replicas', String(replicas), '--cluster-yes']);
      await waitFor(() => topology.everyNodeReady(), 'every cluster node to report cluster_state:ok, every replica in sync', 20_000, 100);
      return topology;
    } catch (error) {
      await topology.stop();
      throw error;
    }
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

  /**
   * The master that serves `key`'s slot now, as a running node sees it (CLUSTER KEYSLOT, CLUSTER
   * NODES); undefined while none does (its master failed, no replica took over yet).
   */
  async masterOf(key: string): Promise<RedisServer | undefined> {
    const asker = this.nodes.find((node) => node.running)!;
    const slot = Number(await this.ask(asker, ['CLUSTER', 'KEYSLOT', key]));
    const owner = (await this.clusterNodes(asker)).find((node) => node.flags.includes('master') && !node.flags.includes('fail') && node.slots.some(([from, to]) => from <= slot && slot <= to));
    return owner && this.byPort(owner.port);
  }

  /** The replicas of `master`, as a running node sees them. */
  async replicasOf(master: RedisServer): Promise<RedisServer[]> {
    const asker = this.nodes.find((node) => node.running)!;
    const nodes = await this.clusterNodes(asker);
    const id = nodes.find((node) => node.port === master.port)?.id;
    return nodes.filter((node) => node.masterId === id).map((node) => this.byPort(node.port));
  }

  /** Sends one command to one node with redis-cli; resolves its raw output, trimmed. */
  async ask(node: RedisServer, command: string[]): Promise<string> {
    const { stdout } = await run(CLI, ['-p', String(node.port), ...command]);
    return stdout.trim();
  }

  /** A field of `INFO replication` (e.g. `master_repl_offset`). */
  async replicationField(node: RedisServer, field: string): Promise<string | undefined> {
    return new RegExp(`^${field}:(\\S+)`, 'm').exec(await this.ask(node, ['INFO', 'replication']))?.[1];
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((node) => node.stop()));
  }

  private byPort(port: number): RedisServer {
    const node = this.nodes.find((candidate) => candidate.port === port);
    if (!node) throw new Error(`no node of this topology listens on ${port}`);
    return node;
  }

  /** CLUSTER NODES, parsed: `<id> <ip:port@bus> <flags> <master> <ping> <pong> <epoch> <link> <slot>...`. */
  private async clusterNodes(asker: RedisServer) {
    const lines = (await this.ask(asker, ['CLUSTER', 'NODES'])).split('\n').filter(Boolean);
    return lines.map((line) => {
      const [id, address, flags, masterId, , , , , ...slots] = line.split(' ');
      return {
        id: id!,
        port: Number(/:(\d+)@/.exec(address!)?.[1]),
        flags: flags!.split(','),
        masterId: masterId!,
        slots: slots.filter((range) => !range.startsWith('[')).map((range) => {
          const [from, to] = range.split('-').map(Number);
          return [from!, to ?? from!] as const;
        }),
      };
    });
  }

  private async everyNodeReady(): Promise<boolean> {
    for (const node of this.nodes) {
      if (!(await this.ask(node, ['CLUSTER', 'INFO'])).includes('cluster_state:ok')) return false;
      const role = await this.replicationField(node, 'role');
      if (role === 'slave' && (await this.replicationField(node, 'master_link_status')) !== 'up') return false;
    }
    return true;
  }
}
