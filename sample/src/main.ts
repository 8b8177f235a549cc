/**
 * `npm run sample:app`: one instance of the sample app against your own Keycloak, configured
 * by OIDC_ISSUER, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET, PORT, PUBLIC_URL and optionally REDIS_URL.
 */
import { startSampleApp } from './create-sample-app.js';
import { sampleConfigFromEnv } from './sample-config.js';

const config = sampleConfigFromEnv();
await startSampleApp(config);
console.log(`${config.appName} listening on ${config.publicUrl} (issuer ${config.issuer}${config.redisUrl ? ', Redis mode' : ''})`);
