/**
 * `DEMO_CLIENTS`: extra clients of the demo's identity provider, so that a developer can point
 * their own app at it and watch it receive logouts. A comma-separated list of
 * `<client-id>:<app base URL>`, e.g. `my-api:http://localhost:4000,shop:http://localhost:4001`.
 *
 * Each client is registered like the demo's own apps, for an app that mounts the module's routes
 * under the default `routePrefix` (`auth`): back-channel logout at `<url>/auth/backchannel-logout`
 * (with `sid`), redirect URI `<url>/auth/callback`, post-logout redirect URI
 * `<url>/auth/logout/return`, confidential with the secret `<client-id>-secret` (HTTP Basic). An
 * app with another prefix gives its back-channel URL instead, e.g.
 * `my-api:http://localhost:4000/keycloak/backchannel-logout`.
 */
import type { KeycloakLikeOpClient } from './keycloak-like-op.js';

export interface DemoClient extends KeycloakLikeOpClient {
  clientSecret: string;
  backchannelLogoutUri: string;
  /** The app's base URL as given (without a trailing slash). */
  appUrl: string;
}

const CLIENT_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const EXAMPLE = 'e.g. DEMO_CLIENTS=my-api:http://localhost:4000';
const BACKCHANNEL_ROUTE = '/backchannel-logout';

function refuse(reason: string): never {
  throw new Error(`DEMO_CLIENTS: ${reason} (${EXAMPLE}; see README, "Try it")`);
}

function parseEntry(entry: string): DemoClient {
  const colon = entry.indexOf(':');
  const clientId = entry.slice(0, colon).trim();
  const given = entry.slice(colon + 1).trim();
  // The URL's own colon comes after its scheme: what follows the first colon must be scheme://.
  if (colon === -1 || !/^[a-z][a-z0-9+.-]*:\/\//i.test(given)) refuse(`"${entry}" is not <client-id>:<app URL>`);
  if (!CLIENT_ID.test(clientId)) refuse(`"${clientId}" is not a client id (letters, digits, ".", "_", "-"; at most 64)`);
  let url: URL;
  try {
    url = new URL(given);
  } catch {
    refuse(`the URL of ${clientId}, "${given}", is not an absolute URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') refuse(`the URL of ${clientId} must be http or https, got ${url.protocol}`);
  if (url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
    refuse(`the URL of ${clientId} must have no query, fragment or credentials`);
  }
  const path = url.pathname.replace(/\/+$/, '');
  // A back-channel URL given in full names the app's route prefix; otherwise the default `auth`.
  const routes = path.endsWith(BACKCHANNEL_ROUTE) ? `${url.origin}${path.slice(0, -BACKCHANNEL_ROUTE.length)}` : `${url.origin}${path}/auth`;
  return {
    clientId,
    clientSecret: `${clientId}-secret`,
    appUrl: `${url.origin}${path}`,
    backchannelLogoutUri: `${routes}${BACKCHANNEL_ROUTE}`,
    redirectUris: [`${routes}/callback`],
    postLogoutRedirectUris: [`${routes}/logout/return`],
  };
}

/**
 * The clients `DEMO_CLIENTS` names; none when it is unset or blank. Throws an error naming
 * DEMO_CLIENTS for anything else than a well-formed list of new client ids and http(s) URLs.
 */
export function parseDemoClients(value: string | undefined, taken: readonly string[] = []): DemoClient[] {
  if (value === undefined || value.trim() === '') return [];
  const clients: DemoClient[] = [];
  for (const entry of value.split(',')) {
    if (entry.trim() === '') refuse('an entry is empty');
    const client = parseEntry(entry.trim());
    if (taken.includes(client.clientId)) refuse(`${client.clientId} is one of the demo's own clients (${taken.join(', ')})`);
    if (clients.some((other) => other.clientId === client.clientId)) refuse(`${client.clientId} is listed twice`);
    clients.push(client);
  }
  return clients;
}
