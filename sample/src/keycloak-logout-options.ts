import type { MeterProvider } from '@opentelemetry/api';
import type { KeycloakLogoutAsyncResult } from 'nestjs-keycloak-logout';
import type { SampleConfig } from './sample-config.js';

/**
 * The module options of one sample instance. With REDIS_URL, REDIS_SENTINELS or
 * REDIS_CLUSTER_NODES, revocations are shared through Redis (the `nestjs-keycloak-logout/redis`
 * entry point, loaded only then). The library's metrics go to this instance's own MeterProvider,
 * served at /metrics.
 */
export async function keycloakLogoutOptions(config: SampleConfig, meterProvider?: MeterProvider): Promise<KeycloakLogoutAsyncResult> {
  const options: KeycloakLogoutAsyncResult = {
    issuer: config.issuer,
    clientId: config.clientId,
    clientSecret: config.clientSecret,
    publicUrl: config.publicUrl,
    ...(meterProvider !== undefined ? { telemetry: { meterProvider } } : {}),
  };
  const { redisUrl, redisSentinel, redisCluster } = config;
  if (redisUrl === undefined && redisSentinel === undefined && redisCluster === undefined) return options;
  const { createRedisLogoutBackend } = await import('nestjs-keycloak-logout/redis');
  const where = redisSentinel ? { sentinel: redisSentinel } : redisCluster ? { cluster: redisCluster } : { url: redisUrl };
  return { ...options, backend: createRedisLogoutBackend(where) };
}
