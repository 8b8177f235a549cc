import { ok, error, type Finding } from './finding.js';
import { attributeOn, CLIENT_ATTRIBUTES } from './keycloak-representations.js';
import type { ClientCheckInput } from './client-check-input.js';

/**
 * `attributes["client.use.lightweight.access.token.enabled"]`: lightweight access tokens carry
 * `sid` but no `sub` (docs/keycloak-protocol.md §6). A logout token without `sid` (session
 * required off) names only `sub`, so bearer-only APIs cannot match it to those tokens.
 */
export function checkLightweightAccessToken({ client }: ClientCheckInput): Finding {
  const id = 'client.lightweight-access-token';
  if (!attributeOn(client, CLIENT_ATTRIBUTES.lightweightAccessToken)) return ok(id, 'Always use lightweight access token is off');
  if (attributeOn(client, CLIENT_ATTRIBUTES.backchannelLogoutSessionRequired)) {
    return ok(id, 'lightweight access tokens (no sub, no roles) with Backchannel logout session required ON: logouts reach them by sid');
  }
  return error(
    id,
    'lightweight access tokens carry no sub, and with Backchannel logout session required off the logout tokens carry no sid: an API that only sees bearer tokens keeps accepting them after logout',
    'Turn "Backchannel logout session required" ON, or "Always use lightweight access token" OFF (Clients → the client → Advanced).',
  );
}
