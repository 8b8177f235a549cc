import { ok, error, warning, type Finding } from './finding.js';
import { probe, jsonObject, isHtml, isJson, type ProbeAnswer, type ProbeFailure } from './http-probe.js';
import { appRouteUrl, type ResolvedDoctorOptions } from './doctor-options.js';

/** Not a JWS at all: every route must refuse it before looking at keys, and nothing changes. */
export const PROBE_TOKEN = 'nestjs-keycloak-logout-doctor.deliberately-invalid.token';

interface RouteProbe {
  route: string;
  /** The `routes` switch that mounts it. */
  group: 'backchannelLogout' | 'keycloakAdmin';
  contentType: string;
  body: string;
  /** Statuses the library answers to an invalid token there (answer table, lib/http/error-answers.ts). */
  statuses: number[];
}

const PROBES: RouteProbe[] = [
  { route: 'backchannel-logout', group: 'backchannelLogout', contentType: 'application/x-www-form-urlencoded', body: `logout_token=${PROBE_TOKEN}`, statuses: [400] },
  { route: 'k_logout', group: 'keycloakAdmin', contentType: 'text/plain', body: PROBE_TOKEN, statuses: [400, 401] },
  { route: 'k_push_not_before', group: 'keycloakAdmin', contentType: 'text/plain', body: PROBE_TOKEN, statuses: [400, 401] },
  { route: 'k_test_available', group: 'keycloakAdmin', contentType: 'text/plain', body: PROBE_TOKEN, statuses: [400, 401] },
];

/**
 * The app's logout routes, as Keycloak will call them: a deliberately invalid token must get
 * the library's own refusal (400, or 401 for an Admin URL action, with a JSON
 * `{ error, error_description }`). Anything else means the request never reached the library,
 * or something in front of it answers, and Keycloak's real calls will fail the same way.
 */
export async function checkAppRoutes(options: ResolvedDoctorOptions): Promise<Finding[]> {
  const probes = options.withoutAdminRoutes ? PROBES.filter((p) => p.group !== 'keycloakAdmin') : PROBES;
  const findings = await Promise.all(probes.map((p) => checkRoute(options, p)));
  if (options.withoutAdminRoutes) findings.push(ok('app.admin-routes', 'Admin URL routes not checked (--without-admin-routes)'));
  return findings;
}

async function checkRoute(options: ResolvedDoctorOptions, routeProbe: RouteProbe): Promise<Finding> {
  const url = appRouteUrl(options, routeProbe.route);
  const id = `app.${routeProbe.route}`;
  const result = await probe(url, {
    method: 'POST',
    headers: { 'content-type': routeProbe.contentType, accept: 'application/json' },
    body: routeProbe.body,
    timeoutMs: options.timeoutMs,
  });
  if (result.kind === 'failure') return unreachable(id, url, result);
  return judge(id, url, options, routeProbe, result);
}

function unreachable(id: string, url: string, failure: ProbeFailure): Finding {
  const fix = failure.cause === 'tls'
    ? "Make this machine (and Keycloak's truststore) trust the app's certificate."
    : 'Start the app, or correct --app-url. Keycloak must reach the same address from its own network (in Docker, host.docker.internal rather than localhost).';
  return error(id, `POST ${url} got no answer: ${failure.description}`, fix);
}

function judge(id: string, url: string, options: ResolvedDoctorOptions, routeProbe: RouteProbe, answer: ProbeAnswer): Finding {
  const { status } = answer;
  const body = isJson(answer) ? jsonObject(answer) : undefined;
  const fromLibrary = body !== undefined && typeof body.error === 'string' && typeof body.error_description === 'string' && !('statusCode' in body);
  const what = `POST ${url} with an invalid token answered ${status}`;
  // A guard's exception on these routes passes through the library's exception filter too, so
  // it has the library's shape; Nest's default message ("Unauthorized") tells it apart from
  // the library's own 401 for an admin action, whose description names what failed.
  const guardInLibraryShape = fromLibrary && (status === 403 || (status === 401 && body.error_description === 'Unauthorized'));
  if (fromLibrary && routeProbe.statuses.includes(status) && !guardInLibraryShape) {
    if (body.error === 'temporarily_unavailable') {
      return error(id, `${what} temporarily_unavailable: the route works, but the app cannot reach Keycloak's discovery document or keys`, "Let the app reach the issuer and jwks_uri (network, proxy, TLS trust); the app's log names the failing URL.");
    }
    return ok(id, `${routeProbe.route} reaches the library: an invalid token gets ${status} ${String(body.error)} (${answer.ms} ms)`);
  }
  if (status >= 300 && status < 400) {
    const location = answer.headers.get('location') ?? 'somewhere';
    return error(
      id,
      `${what}, a redirect to ${location}: a login middleware, a global auth guard or a proxy sends unauthenticated requests to a login page, and Keycloak's server-to-server call ends there`,
      `Exempt /${options.routePrefix}/* from the login redirect (for example exclude it from express-openid-connect's auth() or the proxy's authentication); the library's routes authenticate the token themselves.`,
    );
  }
  if (status === 404) {
    const switchName = routeProbe.group === 'keycloakAdmin' ? 'routes.keycloakAdmin' : 'routes.backchannelLogout';
    return error(
      id,
      `${what} (not found): the routePrefix differs from '${options.routePrefix}', KeycloakLogoutModule is not imported in the app's root module, or ${switchName} is off`,
      `Pass --route-prefix with the module's routePrefix (and point Keycloak at the same path), import KeycloakLogoutModule.forRoot() once in the root module, and keep ${switchName} on${routeProbe.group === 'keycloakAdmin' ? ' (or pass --without-admin-routes if you do not use the Admin URL)' : ''}. A global prefix (app.setGlobalPrefix) belongs in --app-url.`,
    );
  }
  if (status === 401 || status === 403) {
    return error(
      id,
      `${what}, not the library's refusal of the token: a guard or middleware refuses the call before the route (a global APP_GUARD that ignores @Public(), or authentication in a proxy)`,
      "Make the global guard honour @Public() (read the IS_PUBLIC metadata with Reflector.getAllAndOverride, as KeycloakBearerGuard does), or exclude the library's routes from the proxy's authentication.",
    );
  }
  if (isHtml(answer)) {
    return error(
      id,
      `${what} with an HTML page: something other than the library answers this path (a single-page app fallback, a proxy error page, a login page)`,
      `Route /${options.routePrefix}/* to the Nest app in the proxy, before any catch-all.`,
    );
  }
  if (status >= 200 && status < 300) {
    return error(
      id,
      `${what}: the token was not checked, so something other than this library handles the route`,
      `Remove the other handler of /${options.routePrefix}/${routeProbe.route}, or give the library another routePrefix and point Keycloak there.`,
    );
  }
  if (status >= 500) {
    return error(id, `${what}: the app failed`, "Read the app's log for the error at that time.");
  }
  if (status === 405 || status === 413 || status === 415) {
    return error(id, `${what}: something in front of the app refuses the request`, 'Let POST requests with form or text bodies of a few kilobytes through to the app.');
  }
  return warning(id, `${what}, but not in the library's form (JSON { error, error_description })`, `Check what serves /${options.routePrefix}/${routeProbe.route}: an interceptor, exception filter or proxy rewrites the answer.`);
}
