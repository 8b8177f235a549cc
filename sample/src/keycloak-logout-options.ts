import type { MeterProvider } from '@opentelemetry/api';
import type { KeycloakLogoutAsyncResult } from 'nestjs-keycloak-logout';
import type { LogoutExplainer } from './demo-events/logout-explainer.js';
import type { PageStreams } from './demo-events/page-streams.js';
import type { SampleConfig } from './sample-config.js';

/** The SSE event type that tells a page why and when its session was signed out. */
export const WHY_EVENT = 'why';

/** What the pages' live connections need from the library's options. */
export interface PageExplanations {
  explainer: LogoutExplainer;
  streams: PageStreams;
}

/**
 * The module options of one sample instance. With REDIS_URL, REDIS_SENTINELS or
 * REDIS_CLUSTER_NODES, revocations are shared through Redis (the `nestjs-keycloak-logout/redis`
 * entry point, loaded only then). The library's metrics go to this instance's own MeterProvider,
 * served at /metrics. Before a logout closes a page's live connection, the page is told why and
 * when (`liveConnections.beforeClose`).
 */
export async function keycloakLogoutOptions(
  config: SampleConfig,
  meterProvider?: MeterProvider,
  pages?: PageExplanations,
): Promise<KeycloakLogoutAsyncResult> {
  const options: KeycloakLogoutAsyncResult = {
    issuer: config.issuer,
    clientId: config.clientId,
    clientSecret: config.clientSecret,
    publicUrl: config.publicUrl,
    ...(meterProvider !== undefined ? { telemetry: { meterProvider } } : {}),
    ...(pages !== undefined
      ? {
          liveConnections: {
            beforeClose: (connection, event) => pages.streams.sendTo(connection.client, { type: WHY_EVENT, data: pages.explainer.explain(event) }),
          },
        }
      : {}),
  };
  const { redisUrl, redisSentinel, redisCluster } = config;
  if (redisUrl === undefined && redisSentinel === undefined && redisCluster === undefined) return options;
  const { createRedisLogoutBackend } = await import('nestjs-keycloak-logout/redis');
  const where = redisSentinel ? { sentinel: redisSentinel } : redisCluster ? { cluster: redisCluster } : { url: redisUrl };
  return { ...options, backend: createRedisLogoutBackend(where) };
}
