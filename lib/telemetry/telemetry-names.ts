/**
 * The telemetry vocabulary: every instrument, span and attribute name this library emits, in
 * OpenTelemetry semantic-convention style (a `keycloak_logout.` namespace, lower_snake words,
 * durations in seconds, units in UCUM). Attribute values are always from the fixed sets below
 * or reason codes chosen by this library: never a token, a `sid`, a `sub` or a session id.
 */

/** Instrumentation scope of every meter and tracer. */
export const INSTRUMENTATION_SCOPE = 'nestjs-keycloak-logout';

export const METRIC = {
  /** Counter: logouts received, by path and outcome. */
  logouts: 'keycloak_logout.logouts',
  /** Histogram (s): time to handle a logout, from request to answer. */
  logoutDuration: 'keycloak_logout.logout.duration',
  /** Counter: refusals recorded by RefusalLog (logout routes, login, guards). */
  refusals: 'keycloak_logout.refusals',
  /** Counter: requests to the OP (discovery, JWKS, token, logout, revocation endpoints). */
  opRequests: 'keycloak_logout.op.requests',
  /** Histogram (s): duration of those requests, until the answer's headers. */
  opRequestDuration: 'keycloak_logout.op.request.duration',
  /** Histogram (s): from a revocation's `revokedAt` to the moment this instance applied it. */
  propagationDuration: 'keycloak_logout.revocation.propagation.duration',
  /** Observable gauge: sessions the registry tracks (registries that can say so cheaply). */
  sessionCount: 'keycloak_logout.session.count',
  /** Observable gauge: live revocations in this instance's view. */
  revocationCount: 'keycloak_logout.revocation.count',
  /** Observable gauge (0/1): this instance's revocation view may be stale. */
  viewStale: 'keycloak_logout.revocation_view.stale',
  /** Observable gauge (s): time since the view was last known complete (shared log only). */
  viewLag: 'keycloak_logout.revocation_view.lag',
  /** Observable gauge: revocations enforced here but not yet written to the shared log. */
  viewUnshared: 'keycloak_logout.revocation_view.unshared',
} as const;

export const ATTRIBUTE = {
  /** How the logout arrived: one of LOGOUT_PATHS. */
  path: 'keycloak_logout.path',
  /** success, ignored, refused or error: see LogoutOutcome. */
  outcome: 'keycloak_logout.outcome',
  /** A stable reason code (`token_invalid`, `revoked_sid`, `unknown_sid`, ...). */
  reason: 'keycloak_logout.reason',
  /** Which part refused: a logout route, the login, or a guard (`bearer_guard`, `session_guard`). */
  channel: 'keycloak_logout.channel',
  /** The guard's execution context type: `http`, `graphql`, `ws`, `rpc`. */
  context: 'keycloak_logout.context',
  /** The API call behind an `api` logout: `revoke_sid`, `logout_with_refresh_token`, ... */
  operation: 'keycloak_logout.operation',
  /** Which OP endpoint: discovery, jwks, token, logout, revocation. */
  opEndpoint: 'keycloak_logout.op.endpoint',
  /** What a revocation ends: sid, subject, adapter_session, not_before. */
  revocationType: 'keycloak_logout.revocation.type',
  /** local (made here), remote (another instance), catch_up (read from the shared log at startup). */
  revocationOrigin: 'keycloak_logout.revocation.origin',
  // General OpenTelemetry semantic conventions.
  errorType: 'error.type',
  httpMethod: 'http.request.method',
  httpStatus: 'http.response.status_code',
  serverAddress: 'server.address',
  serverPort: 'server.port',
  urlFull: 'url.full',
} as const;

/** Span names: `keycloak_logout.logout.<path>` around logout handling, `keycloak_logout.op.<endpoint>` around OP requests. */
export const SPAN_PREFIX = { logout: 'keycloak_logout.logout.', op: 'keycloak_logout.op.' } as const;

/**
 * How a logout arrived: OIDC back-channel, Keycloak's `k_logout` naming sessions, a client
 * not-before (`k_push_not_before`, or `k_logout` for "Sign out all active sessions"),
 * front-channel, RP-initiated, or the app's own code (RevocationService, KeycloakSessionTerminator).
 */
export const LOGOUT_PATHS = ['backchannel', 'k_logout', 'not_before', 'frontchannel', 'rp_initiated', 'api'] as const;
export type LogoutPath = (typeof LOGOUT_PATHS)[number];

/**
 * - `success`: carried out;
 * - `ignored`: accepted without effect (an unknown front-channel `sid`, nobody signed in, a
 *   `k_logout` naming nothing);
 * - `refused`: the request was refused (bad token, replay, malformed, CSRF);
 * - `error`: it could not be carried out (OP, registry or shared log unreachable, misconfiguration).
 */
export type LogoutOutcome = 'success' | 'ignored' | 'refused' | 'error';

export type OpEndpoint = 'discovery' | 'jwks' | 'token' | 'logout' | 'revocation';

/** A code as an attribute value: lower_snake, bounded. Values are codes chosen here, never request data. */
export function attributeCode(value: string): string {
  return value.toLowerCase().replace(/[^a-z0-9_]+/g, '_').slice(0, 64);
}
