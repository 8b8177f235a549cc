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
  /** When set, revocations are shared with every instance on this Redis. */
  redisUrl?: string;
  sessionSecret: string;
  /** Another app of the same realm, linked from the page (single sign-on demo). */
  otherAppUrl?: string;
}

export const SAMPLE_CONFIG = Symbol('SAMPLE_CONFIG');

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (value === undefined || value.trim() === '') {
    throw new Error(`${name} is required (see README, "Use it with your Keycloak")`);
  }
  return value.trim();
}

/**
 * `npm run sample:app`: OIDC_ISSUER, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET, PORT, PUBLIC_URL and
 * optionally REDIS_URL, HOST, SESSION_SECRET, OTHER_APP_URL.
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
    redisUrl: env.REDIS_URL || undefined,
    sessionSecret: env.SESSION_SECRET ?? `sample-${clientId}-change-me`,
    otherAppUrl: env.OTHER_APP_URL || undefined,
  };
}
