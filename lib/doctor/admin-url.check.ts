import { ok, error, warning, type Finding } from './finding.js';
import { appRouteUrl } from './doctor-options.js';
import { resolveClientUrl, usesSessionHost } from './keycloak-representations.js';
import type { ClientCheckInput } from './client-check-input.js';

const ID = 'client.admin-url';

/**
 * `adminUrl`: "Sign out all active sessions" and "Push revocation" send no logout tokens, only
 * admin actions to the Admin URL (`k_logout` with a not-before, `k_push_not_before`;
 * docs/keycloak-protocol.md §1.2, §2). Without it they never reach the app.
 */
export function checkAdminUrl({ options, client }: ClientCheckInput): Finding {
  const expected = appRouteUrl(options, '', options.appUrl ?? 'https://app.invalid');
  const shown = options.appUrl ? expected : appRouteUrl(options, '', 'https://<app>');
  const fix = `Clients → the client → Settings → Access settings: Admin URL ${shown} (Keycloak appends /k_logout, /k_push_not_before, /k_test_available).`;
  if (!client.adminUrl) {
    if (options.withoutAdminRoutes) {
      return warning(ID, 'no Admin URL (and the app has no Admin URL routes): "Sign out all active sessions" and "Push revocation" do not reach this app', 'Keep access tokens short-lived, or mount the Admin URL routes and set the Admin URL.');
    }
    return error(
      ID,
      'no Admin URL (adminUrl is empty): "Sign out all active sessions" and "Push revocation" send no logout token, only admin actions to the Admin URL, so they never reach this app and its tokens stay valid',
      fix,
    );
  }
  if (options.withoutAdminRoutes) {
    return warning(ID, `the Admin URL is ${client.adminUrl}, but the app does not mount the Admin URL routes: Keycloak's admin actions get 404`, 'Mount them (routes.keycloakAdmin, the default) or clear the Admin URL.');
  }
  const resolved = resolveClientUrl(client, client.adminUrl);
  if (!resolved) return error(ID, `the Admin URL ${client.adminUrl} is not a valid URL (relative URLs need a Root URL)`, fix);
  const expectedPath = new URL(expected).pathname;
  if (trimSlash(resolved.pathname) !== trimSlash(expectedPath)) {
    return error(ID, `the Admin URL ${client.adminUrl} does not point at this app's prefix ${expectedPath}: k_logout and k_push_not_before go elsewhere`, fix);
  }
  if (options.appUrl && !usesSessionHost(client.adminUrl) && resolved.origin !== new URL(expected).origin) {
    return warning(ID, `the Admin URL is ${resolved.href}, the doctor probed ${expected}`, 'Fine if both reach the same app; otherwise correct the Admin URL, or pass --app-url with the address Keycloak uses.');
  }
  return ok(ID, `Admin URL ${resolved.href} is the library's prefix`);
}

function trimSlash(path: string): string {
  return path.replace(/\/+$/, '');
}
