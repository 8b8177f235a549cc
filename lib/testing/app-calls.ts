/**
 * The calls Keycloak makes to an app, made from a test: the back-channel logout POST and the
 * Admin URL POSTs, to the routes the module mounts under its `routePrefix` (default `auth`).
 */

/** What the app answered. */
export interface AppAnswer {
  status: number;
  /** The JSON body when the app sent JSON, else the text ('' when empty). */
  body: unknown;
}

/** Where the module's routes are: the app's base URL and the module's `routePrefix`. */
export interface AppRoutes {
  /** Default `auth`, the module's default. */
  routePrefix?: string;
}

export function routeUrl(appUrl: string, routes: AppRoutes, route: string): string {
  const prefix = (routes.routePrefix ?? 'auth').replace(/^\/+|\/+$/g, '');
  return `${appUrl.replace(/\/+$/, '')}/${prefix === '' ? '' : `${prefix}/`}${route}`;
}

async function answerOf(response: Response): Promise<AppAnswer> {
  const text = await response.text();
  const json = /\bjson\b/i.test(response.headers.get('content-type') ?? '');
  return { status: response.status, body: json && text !== '' ? (JSON.parse(text) as unknown) : text };
}

/**
 * Posts a logout token the way Keycloak's ResourceAdminManager does (docs/keycloak-protocol.md §1.1):
 * one `logout_token` form parameter, Content-Type application/x-www-form-urlencoded.
 */
export async function postBackchannelLogout(url: string, logoutToken: string): Promise<AppAnswer> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ logout_token: logoutToken }).toString(),
  });
  return answerOf(response);
}

/** Posts an admin action like Keycloak's HttpClientProvider.postText (§2.3): the bare JWS, Content-Type text/plain. */
export async function postAdminAction(url: string, action: string): Promise<AppAnswer> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'text/plain; charset=ISO-8859-1' }, body: action });
  return answerOf(response);
}
