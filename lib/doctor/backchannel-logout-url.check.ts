import { ok, error, warning, type Finding } from './finding.js';
import { appRouteUrl } from './doctor-options.js';
import { attribute, CLIENT_ATTRIBUTES, resolveClientUrl, usesSessionHost } from './keycloak-representations.js';
import type { ClientCheckInput } from './client-check-input.js';

const ID = 'client.backchannel-logout-url';

/**
 * `attributes["backchannel.logout.url"]`: set, and pointing at the library's route. With
 * --app-url the whole URL is compared; a different host is only a warning, since Keycloak
 * often reaches the app by another name than this machine does (host.docker.internal).
 */
export function checkBackchannelLogoutUrl({ options, client }: ClientCheckInput): Finding {
  const configured = attribute(client, CLIENT_ATTRIBUTES.backchannelLogoutUrl);
  const expected = appRouteUrl(options, 'backchannel-logout', options.appUrl ?? 'https://app.invalid');
  const shown = options.appUrl ? expected : appRouteUrl(options, 'backchannel-logout', 'https://<app>');
  const fix = `Clients → the client → Settings → Logout settings: Backchannel logout URL ${shown}.`;
  if (!configured) {
    if (client.adminUrl) {
      return warning(
        ID,
        'no Backchannel logout URL: single-session logouts go to k_logout at the Admin URL instead, which names the session only when the login sent client_session_state (the library\'s login route does)',
        fix,
      );
    }
    return error(ID, 'no Backchannel logout URL (attributes["backchannel.logout.url"]) and no Admin URL: Keycloak tells this app about no logout at all', fix);
  }
  const resolved = resolveClientUrl(client, configured);
  if (!resolved) return error(ID, `the Backchannel logout URL ${configured} is not a valid URL (relative URLs need a Root URL)`, fix);
  const expectedPath = new URL(expected).pathname;
  if (trimSlash(resolved.pathname) !== trimSlash(expectedPath)) {
    return error(ID, `the Backchannel logout URL ${configured} does not point at this app's route ${expectedPath}: logout tokens go elsewhere`, fix);
  }
  if (options.appUrl && !usesSessionHost(configured) && resolved.origin !== new URL(expected).origin) {
    return warning(
      ID,
      `the Backchannel logout URL is ${resolved.href}, the doctor probed ${expected}`,
      'Fine if both reach the same app (Keycloak in Docker uses host.docker.internal); otherwise correct the URL, or run the doctor with --app-url set to the address Keycloak uses.',
    );
  }
  return ok(ID, `Backchannel logout URL ${resolved.href} is the library's route`);
}

function trimSlash(path: string): string {
  return path.replace(/\/+$/, '');
}
