import { ok, error, warning, type Finding } from './finding.js';
import { appRouteUrl } from './doctor-options.js';
import { attribute, CLIENT_ATTRIBUTES, type ClientRepresentation } from './keycloak-representations.js';
import type { ClientCheckInput } from './client-check-input.js';

const ID = 'client.post-logout-redirect-uris';

/**
 * `attributes["post.logout.redirect.uris"]`, "##"-separated, as Keycloak reads it
 * (OIDCAdvancedConfigWrapper.getPostLogoutRedirectUris, docs/keycloak-protocol.md §10): unset →
 * the Valid redirect URIs; "-" first → none; "+" → the Valid redirect URIs plus the others.
 * Without a valid one, RP-initiated logout with post_logout_redirect_uri ends on Keycloak's
 * error page.
 */
export function checkPostLogoutRedirectUris({ options, client }: ClientCheckInput): Finding {
  const allowed = effectivePostLogoutRedirectUris(client);
  const returnUrl = appRouteUrl(options, 'logout/return', options.appUrl ?? 'https://<app>');
  const fix = `Clients → the client → Settings → Access settings: Valid post logout redirect URIs ${returnUrl} (the library's logout return route).`;
  if (allowed.length === 0) {
    return error(ID, 'no valid post logout redirect URI: after RP-initiated logout Keycloak refuses post_logout_redirect_uri and shows an error page instead of returning to the app', fix);
  }
  if (options.appUrl && !allowed.some((pattern) => matches(pattern, returnUrl, client))) {
    return warning(ID, `no valid post logout redirect URI matches ${returnUrl} (allowed: ${allowed.join(', ')})`, `${fix} Nothing to do if the app sets postLogoutRedirectUris to one of the allowed ones.`);
  }
  return ok(ID, `valid post logout redirect URIs: ${allowed.join(', ')}`);
}

export function effectivePostLogoutRedirectUris(client: ClientRepresentation): string[] {
  const raw = attribute(client, CLIENT_ATTRIBUTES.postLogoutRedirectUris);
  const redirectUris = client.redirectUris ?? [];
  if (raw === undefined) return redirectUris;
  const listed = raw.split('##').filter((uri) => uri !== '');
  if (listed[0] === '-') return [];
  if (listed.includes('+')) return [...listed.filter((uri) => uri !== '+'), ...redirectUris];
  return listed;
}

/** Keycloak's redirect URI rule, simplified: exact, or a trailing `*` as a prefix; relative against the Root URL. */
function matches(pattern: string, url: string, client: ClientRepresentation): boolean {
  const absolute = pattern.startsWith('/') && client.rootUrl ? `${client.rootUrl.replace(/\/+$/, '')}${pattern}` : pattern;
  if (absolute === '*') return true;
  if (absolute.endsWith('*')) return url.startsWith(absolute.slice(0, -1));
  return absolute === url;
}
