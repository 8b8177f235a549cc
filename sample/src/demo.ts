/**
 * `npm start`: the one-command demo. Starts an embedded identity provider that looks like a
 * Keycloak realm from the outside (issuer http://localhost:8080/realms/demo, Keycloak's
 * endpoint paths, JWT access tokens with sid and azp, back-channel logout with sid) and two
 * instances of the sample app as two clients, app-a and app-b.
 *
 * Ports can be moved with IDP_PORT, APP_A_PORT and APP_B_PORT. DEMO_CLIENTS registers more clients
 * for your own apps (sample/idp/demo-clients.ts).
 */
import { parseDemoClients, type DemoClient } from '../idp/demo-clients.js';
import { startKeycloakLikeOp } from '../idp/keycloak-like-op.js';
import { startSampleApp } from './create-sample-app.js';
import type { SampleConfig } from './sample-config.js';

if (process.env.OIDC_ISSUER) {
  console.error('OIDC_ISSUER is set: the demo runs its own identity provider. Use `npm run sample:app` for your Keycloak.');
  process.exit(1);
}

const port = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const idpPort = port('IDP_PORT', 8080);
const apps = [
  { clientId: 'app-a', port: port('APP_A_PORT', 3000) },
  { clientId: 'app-b', port: port('APP_B_PORT', 3001) },
];
const urlOf = (p: number) => `http://localhost:${p}`;

let extraClients: DemoClient[];
try {
  extraClients = parseDemoClients(process.env.DEMO_CLIENTS, apps.map((app) => app.clientId));
} catch (error) {
  console.error((error as Error).message);
  process.exit(1);
}

const idp = await startKeycloakLikeOp({
  realm: 'demo',
  host: '127.0.0.1',
  port: idpPort,
  publicHost: 'localhost',
  autoConfirmLogout: true,
  clients: apps.map((app) => ({
    clientId: app.clientId,
    clientSecret: `${app.clientId}-secret`,
    redirectUris: [`${urlOf(app.port)}/auth/callback`],
    postLogoutRedirectUris: [`${urlOf(app.port)}/auth/logout/return`],
    backchannelLogoutUri: `${urlOf(app.port)}/auth/backchannel-logout`,
  })),
});
for (const client of extraClients) await idp.registerClient(client);

const instances: Array<{ close(): Promise<void> }> = [];
for (const [index, app] of apps.entries()) {
  const other = apps[1 - index]!;
  const config: SampleConfig = {
    appName: app.clientId,
    issuer: idp.issuer,
    clientId: app.clientId,
    clientSecret: `${app.clientId}-secret`,
    port: app.port,
    host: '127.0.0.1',
    publicUrl: urlOf(app.port),
    sessionSecret: `demo-${app.clientId}-session-secret`,
    otherAppUrl: urlOf(other.port),
  };
  instances.push(await startSampleApp(config));
}

console.log(`
Single logout demo is running.

  Identity provider  ${idp.issuer}   (users: alice / alice-password, bob / bob-password)
  app-a              ${urlOf(apps[0]!.port)}
  app-b              ${urlOf(apps[1]!.port)}
${extraClients.map((client) => `  ${client.clientId.padEnd(18)} ${client.appUrl}   (DEMO_CLIENTS: secret ${client.clientSecret}, back-channel logout ${client.backchannelLogoutUri})\n`).join('')}
Try it:
  1. Open ${urlOf(apps[0]!.port)} and sign in as alice.
  2. Open ${urlOf(apps[1]!.port)} in another tab and click "Sign in": no password (single sign-on).
  3. Click "Sign out" in app-a. The app-b tab changes to "Signed out" by itself, within a second,
     and app-b's API refuses the old access token ("Call /api/me").

Press Ctrl+C to stop.
demo ready`);

const stop = async () => {
  for (const instance of instances) await instance.close();
  await idp.close();
  process.exit(0);
};
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
