import { ok, error, type Finding } from './finding.js';
import { attribute, attributeOn, CLIENT_ATTRIBUTES } from './keycloak-representations.js';
import type { ClientCheckInput } from './client-check-input.js';

/**
 * `attributes["backchannel.logout.session.required"]`: only "true" puts `sid` into logout tokens
 * (OIDCAdvancedConfigWrapper.isBackchannelLogoutSessionRequired, docs/keycloak-protocol.md §1.3).
 * Without it one logout ends every session of the user in this app, on every device.
 */
export function checkBackchannelSessionRequired({ client }: ClientCheckInput): Finding {
  const id = 'client.backchannel-logout-session-required';
  if (attributeOn(client, CLIENT_ATTRIBUTES.backchannelLogoutSessionRequired)) {
    return ok(id, 'Backchannel logout session required is ON: logout tokens name the session (sid)');
  }
  const state = attribute(client, CLIENT_ATTRIBUTES.backchannelLogoutSessionRequired) === undefined ? 'unset (off; the default for clients created through the REST API)' : 'OFF';
  return error(
    id,
    `Backchannel logout session required is ${state}: logout tokens carry no sid, so signing out of one session signs the user out of this app on every device, and APIs that only see bearer tokens cannot tell which session ended`,
    'Clients → the client → Settings → Logout settings: turn "Backchannel logout session required" ON.',
  );
}
