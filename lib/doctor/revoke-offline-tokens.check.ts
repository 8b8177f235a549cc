import { ok, type Finding } from './finding.js';
import { attributeOn, CLIENT_ATTRIBUTES } from './keycloak-representations.js';
import type { ClientCheckInput } from './client-check-input.js';

/** `attributes["backchannel.logout.revoke.offline.tokens"]`: either way works; reported so it is known. */
export function checkRevokeOfflineTokens({ client }: ClientCheckInput): Finding {
  const on = attributeOn(client, CLIENT_ATTRIBUTES.backchannelLogoutRevokeOfflineTokens);
  return ok(
    'client.backchannel-logout-revoke-offline',
    on
      ? 'Backchannel logout revoke offline sessions is ON: logout tokens carry revoke_offline_access (LogoutEvent.revokeOfflineAccess)'
      : 'Backchannel logout revoke offline sessions is OFF: offline tokens outlive logouts (turn it on if the app keeps offline tokens)',
  );
}
