import type { LogoutOriginLookup } from './logout-origin.js';

/** Everything one instance of the sample app needs, read from the environment. */
export interface SampleConfig {
  /** Shown on the page, e.g. "app-a". */
  appName: string;
  issuer: string;
  clientId: string;
  clientSecret?: string;
  port: number;
  /** Address to listen on. */
  host: string;
  /** The app's external URL, as the browser and Keycloak see it. */
  publicUrl: string;
  /** When set, revocations are shared with every instance on this Redis (a single node). */
  redisUrl?: string;
  /** Or a Sentinel deployment: its Sentinels and the master's name. */
  redisSentinel?: { sentinels: Array<{ host: string; port: number }>; name: string; password?: string };
  /** Or a Redis Cluster: seed node URLs. */
  redisCluster?: { rootNodes: string[]; password?: string };
  sessionSecret: string;
  /** Another app of the same realm, linked from the page (single sign-on demo). */
  otherAppUrl?: string;
  /**
   * Who started a logout and when, as the identity provider saw it: given by `npm start` from
   * its embedded IdP. Absent against a real Keycloak, which does not say.
   */
  logoutOrigin?: LogoutOriginLookup;
}

export const SAMPLE_CONFIG = Symbol('SAMPLE_CONFIG');

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (value === undefined || value.trim() === '') {
    throw new Error(`${name} is required (see README, "Use it with your Keycloak")`);
  }
  return value.trim();
}

/** `REDIS_SENTINELS=sentinel-1:26379,sentinel-2:26379` → `[{ host, port }, ...]`. */
function sentinelNodes(list: string): Array<{ host: string; port: number }> {
  return list.split(',').map((item) => {
    const match = /^\s*(.+):(\d+)\s*$/.exec(item);
    if (!match) throw new Error(`REDIS_SENTINELS must be comma-separated host:port pairs, got "${item}"`);
    return { host: match[1]!, port: Number(match[2]) };
  });
}

/**
 * Where Redis is, from one of REDIS_URL (a single node), REDIS_SENTINELS with
 * REDIS_SENTINEL_NAME, or REDIS_CLUSTER_NODES (comma-separated seed URLs); REDIS_PASSWORD
 * applies to the Sentinel's master and replicas, or to every cluster node. More than one is
 * refused: instances must agree on where revocations are shared.
 */
function redisFromEnv(env: NodeJS.ProcessEnv): Pick<SampleConfig, 'redisUrl' | 'redisSentinel' | 'redisCluster'> {
  const given = ['REDIS_URL', 'REDIS_SENTINELS', 'REDIS_CLUSTER_NODES'].filter((name) => env[name]?.trim());
  if (given.length > 1) throw new Error(`give one of REDIS_URL, REDIS_SENTINELS or REDIS_CLUSTER_NODES, not ${given.join(' and ')}`);
  const password = env.REDIS_PASSWORD || undefined;
  if (env.REDIS_SENTINELS?.trim()) {
    return { redisSentinel: { sentinels: sentinelNodes(env.REDIS_SENTINELS), name: required(env, 'REDIS_SENTINEL_NAME'), password } };
  }
  if (env.REDIS_CLUSTER_NODES?.trim()) {
    return { redisCluster: { rootNodes: env.REDIS_CLUSTER_NODES.split(',').map((url) => url.trim()), password } };
  }
  return { redisUrl: env.REDIS_URL || undefined };
}

/**
 * `npm run sample:app`: OIDC_ISSUER, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET, PORT, PUBLIC_URL and
 * optionally REDIS_URL (or REDIS_SENTINELS + REDIS_SENTINEL_NAME, or REDIS_CLUSTER_NODES),
 * HOST, SESSION_SECRET, OTHER_APP_URL.
 */
export function sampleConfigFromEnv(env: NodeJS.ProcessEnv = process.env): SampleConfig {
  const port = Number(env.PORT ?? '3000');
  if (!Number.isInteger(port) || port <= 0 || port > 65_535) throw new Error(`PORT must be a TCP port, got ${env.PORT}`);
  const clientId = required(env, 'OIDC_CLIENT_ID');
  return {
    appName: env.APP_NAME ?? clientId,
    issuer: required(env, 'OIDC_ISSUER'),
    clientId,
    clientSecret: env.OIDC_CLIENT_SECRET || undefined,
    port,
    host: env.HOST ?? '127.0.0.1',
    publicUrl: (env.PUBLIC_URL ?? `http://localhost:${port}`).replace(/\/+$/, ''),
    ...redisFromEnv(env),
    sessionSecret: env.SESSION_SECRET ?? `sample-${clientId}-change-me`,
    otherAppUrl: env.OTHER_APP_URL || undefined,
  };
}
