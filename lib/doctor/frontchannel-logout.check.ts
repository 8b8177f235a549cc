import { ok, error, type Finding } from './finding.js';
import type { ClientCheckInput } from './client-check-input.js';

/**
 * `frontchannelLogout`: when true Keycloak never sends this client a back-channel logout, not
 * even for admin or API logouts (AuthenticationManager.backchannelLogoutClientSession,
 * docs/keycloak-protocol.md §1.2).
 */
export function checkFrontchannelLogout({ client }: ClientCheckInput): Finding {
  if (client.frontchannelLogout !== true) return ok('client.frontchannel-logout', 'Front channel logout is off, so Keycloak uses the back channel');
  return error(
    'client.frontchannel-logout',
    'Front channel logout is ON (frontchannelLogout: true): Keycloak then sends this client no back-channel logout at all, silently, whatever the Backchannel logout URL says',
    'Clients → the client → Settings → Logout settings: turn "Front channel logout" OFF.',
  );
}
