import type { KeycloakLogoutRoutes } from './keycloak-logout-options.interface.js';
import { returnToProblem, normalizeReturnTo } from '../session/return-to.js';
import { DEFAULT_OPTIONS } from './default-options.js';
import { browserUrl, fail, requiredString, type Input } from './option-checks.js';

/** Routes (below the prefix) the default redirect URI and post-logout redirect URI point at. */
const CALLBACK_PATH = 'callback';
const LOGOUT_RETURN_PATH = 'logout/return';

function scopes(value: unknown): string[] {
  if (value === undefined) return [...DEFAULT_OPTIONS.scopes];
  if (!Array.isArray(value) || value.some((s) => typeof s !== 'string' || !/^[\x21\x23-\x5b\x5d-\x7e]+$/.test(s))) {
    // RFC 6749 §3.3 scope-token characters.
    fail('scopes', 'must be an array of scope tokens (printable ASCII without spaces, quotes or backslashes)');
  }
  return ['openid', ...new Set((value as string[]).filter((s) => s !== 'openid'))];
}

function returnTo(value: unknown, option: string): string {
  if (value === undefined) return DEFAULT_OPTIONS.defaultReturnTo;
  const problem = returnToProblem(value);
  if (problem !== undefined) fail(option, problem);
  return normalizeReturnTo(value as string);
}

/** `host` or `host:port`, as Keycloak compares it with the hosts of the client's URLs. */
function sessionHost(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  const host = requiredString(value, 'clientSessionHost');
  if (host.length > 255 || !/^([A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])(:\d{1,5})?$/.test(host)) {
    fail('clientSessionHost', 'must be a bare host name or IP, optionally with ":port" (no scheme or path)');
  }
  return host;
}

/** The options of the browser flows (login, RP-initiated logout), checked against the routes that need them. */
export function browserFlowOptions(input: Input, routing: { routePrefix: string; routes: Required<KeycloakLogoutRoutes> }) {
  const publicUrl = input.publicUrl === undefined ? undefined : browserUrl(input.publicUrl, 'publicUrl', false).replace(/\/+$/, '');
  for (const route of ['login', 'logout'] as const) {
    if (routing.routes[route] && publicUrl === undefined) {
      fail('publicUrl', `is required when routes.${route} is enabled (redirect URIs are built from it, never from the Host header)`);
    }
  }
  const base = publicUrl === undefined ? undefined : [publicUrl, routing.routePrefix].filter(Boolean).join('/');
  const redirectUri = input.redirectUri !== undefined
    ? browserUrl(input.redirectUri, 'redirectUri', true)
    : base && `${base}/${CALLBACK_PATH}`;
  let postLogoutRedirectUris: string[] = base ? [`${base}/${LOGOUT_RETURN_PATH}`] : [];
  if (input.postLogoutRedirectUris !== undefined) {
    const list = input.postLogoutRedirectUris;
    if (!Array.isArray(list) || list.length === 0) fail('postLogoutRedirectUris', 'must be a non-empty array of absolute URLs');
    postLogoutRedirectUris = list.map((uri, i) => browserUrl(uri, `postLogoutRedirectUris[${i}]`, true));
  }
  return {
    publicUrl,
    redirectUri,
    scopes: scopes(input.scopes),
    postLogoutRedirectUris,
    defaultReturnTo: returnTo(input.defaultReturnTo, 'defaultReturnTo'),
    clientSessionHost: sessionHost(input.clientSessionHost),
  };
}
