/**
 * `npm start`: the one-command demo. Starts an embedded identity provider that looks like a
 * Keycloak realm from the outside (issuer http://localhost:8080/realms/demo, Keycloak's
 * endpoint paths, JWT access tokens with sid and azp, one sid per SSO session, back-channel
 * logout with sid) and two instances of the sample app as two clients, app-a and app-b.
 *
 * Ports can be moved with IDP_PORT, APP_A_PORT and APP_B_PORT. A port that is taken or invalid
 * ends the demo with exit code 1 and a message naming the variable. DEMO_CLIENTS registers more
 * clients for your own apps (sample/idp/demo-clients.ts).
 */
import { parseDemoClients, type DemoClient } from '../idp/demo-clients.js';
import { DemoStartError, startDemo, type RunningDemo } from './start-demo.js';

if (process.env.OIDC_ISSUER) {
  console.error('OIDC_ISSUER is set: the demo runs its own identity provider. Use `npm run sample:app` for your Keycloak.');
  process.exit(1);
}

let extraClients: DemoClient[];
try {
  extraClients = parseDemoClients(process.env.DEMO_CLIENTS, ['app-a', 'app-b']);
} catch (error) {
  console.error((error as Error).message);
  process.exit(1);
}

let demo: RunningDemo;
try {
  demo = await startDemo(process.env, extraClients);
} catch (error) {
  if (!(error instanceof DemoStartError)) throw error;
  console.error(`\nThe demo cannot start: ${error.message}\n`);
  process.exit(1);
}

const { 'app-a': appA, 'app-b': appB } = demo.appUrls;
console.log(`
Single logout demo is running.

  Identity provider  ${demo.issuer}   (users: alice / alice-password, bob / bob-password)
  app-a              ${appA}
  app-b              ${appB}
${extraClients.map((client) => `  ${client.clientId.padEnd(18)} ${client.appUrl}   (DEMO_CLIENTS: secret ${client.clientSecret}, back-channel logout ${client.backchannelLogoutUri})\n`).join('')}
Try it:
  1. Open ${appA} and sign in as alice.
  2. Open ${appB} in another tab and click "Sign in": no password (single sign-on).
     Both pages show the same Keycloak session (a fingerprint of its sid).
  3. Click "Sign out" in app-a. The app-b tab changes to "Signed out" by itself, within a second,
     and says why and when: back-channel logout, from app-a's logout, so many ms after it.
  4. Click "Call /api/me" in app-b: the old access token is refused, 401, reason revoked_sid.
     Each page's timeline lists the logins, logouts and refusals its app saw.

Log lines are labelled [idp], [app-a] and [app-b]. Press Ctrl+C to stop.
demo ready`);

const stop = async () => {
  await demo.close();
  process.exit(0);
};
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
