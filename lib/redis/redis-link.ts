import { RESP_TYPES, type RedisClientType } from 'redis';

/**
 * The commands the backend sends. A plain node-redis client, a Sentinel client and a Cluster
 * client all have them with the same signatures (RESP2, no type mapping), so the bus and the
 * registry are written once for the three topologies.
 */
export type RedisCommands = Pick<
  RedisClientType,
  | 'xAdd'
  | 'xRange'
  | 'xRevRange'
  | 'xTrim'
  | 'xDel'
  | 'xLen'
  | 'xInfoStream'
  | 'set'
  | 'get'
  | 'getDel'
  | 'del'
  | 'unlink'
  | 'zRem'
  | 'zRange'
  | 'evalSha'
  | 'eval'
>;

/** Command options under which a reply's bulk strings come as Buffers, not decoded to text. */
export const BINARY_REPLY = { typeMapping: { [RESP_TYPES.BLOB_STRING]: Buffer } };

/** What a link tells its owner. */
export interface RedisLinkEvents {
  /** Connected, or connected again after a loss. */
  ready: () => void;
  error: (error: unknown) => void;
  /**
   * Commands now reach another server than before (a Sentinel failover): what was read from
   * the previous one may be missing there. Plain and Cluster clients fail the command instead.
   */
  serverChange: () => void;
}

/**
 * One of the backend's two connections to Redis (the writer or the reader), whatever the
 * topology behind it: a single node (client-link.ts), Sentinel (sentinel-link.ts) or Cluster
 * (cluster-link.ts). Always ours: close() destroys it, never an app's client.
 */
export interface RedisLink {
  readonly redis: RedisCommands;
  /** Whether a command sent now can be answered (Sentinel and Cluster: connected once, they reroute themselves). */
  readonly isReady: boolean;
  connect(): Promise<unknown>;
  /** Drops the connection(s) at once, failing what is in flight. */
  destroy(): void;
  on<E extends keyof RedisLinkEvents>(event: E, listener: RedisLinkEvents[E]): void;
  off<E extends keyof RedisLinkEvents>(event: E, listener: RedisLinkEvents[E]): void;
  /**
   * Sends a read-only command on `key` as it is, and resolves Redis' reply as sent (RESP2 arrays),
   * its strings as Buffers (BINARY_REPLY): neither node-redis' transformation into objects nor a
   * string decoded per value. For the pages of the log, read by the thousand at start-up
   * (log-entries-page.ts).
   */
  readBinary(key: string, args: string[]): Promise<unknown>;
  /**
   * The `run_id` of the server that holds `key` (https://redis.io/docs/latest/commands/info/):
   * it changes when that server restarts or another one takes over.
   */
  serverId(key: string): Promise<string>;
}

/** Settings of the links a topology opens: the same for the three topologies. */
export interface RedisLinkSettings {
  role: 'writer' | 'reader';
  /** Ms before a command is given up (writer; the reader's XREAD blocks on purpose). */
  commandTimeout: number | undefined;
  /** Ms of socket silence after which the connection counts as dead (reader). */
  socketTimeout: number | undefined;
  reconnectStrategy: (retries: number) => number;
}

/** Opens a link of the given role. */
export type RedisTopology = (settings: RedisLinkSettings) => RedisLink;

/** `run_id` out of an INFO reply. */
export function runIdOf(info: string): string {
  return /run_id:(\w+)/.exec(info)?.[1] ?? '';
}
