import { ErrorReply } from 'redis';

/**
 * Error replies by which Redis says "not now" rather than "never": the cluster does not serve
 * the slot (CLUSTERDOWN, while a failed master's replica is not yet promoted), a Sentinel-managed
 * replica lost its master (MASTERDOWN), the dataset is loading (LOADING), or a multi-key command
 * met a slot being migrated (TRYAGAIN). https://redis.io/docs/latest/operate/oss_and_stack/reference/cluster-spec/
 * The backend treats them as Redis being unreachable for a moment, not as a bug.
 */
const NOT_NOW = /^(CLUSTERDOWN|MASTERDOWN|LOADING|TRYAGAIN)\b/;

export function isUnavailableReply(error: unknown): error is ErrorReply {
  return error instanceof ErrorReply && NOT_NOW.test(error.message);
}
