import { MAX_SESSIONS_PER_USER_RANGE } from '../registry/max-sessions-per-user.js';
import type { LogoutBackend } from '../backend/logout-backend.interface.js';
import { SessionRegistry } from '../registry/session-registry.js';
import { RevocationBus } from '../revocation/revocation-bus.js';
import { KeycloakLogoutConfigError } from '../errors/keycloak-logout-config.error.js';
import { normalizeReturnTo, returnToProblem } from '../session/return-to.js';
import { isSessionStore, type SessionStoreLike } from '../session/session-store.interface.js';
import { normalizeMediaType } from '../tokens/token-rules.js';
import { DEFAULT_OPTIONS, SUPPORTED_ALGORITHMS } from './default-options.js';
import type {
  FailurePolicy,
  KeycloakLogoutModuleOptions,
  KeycloakLogoutRoutes,
  KeycloakLogoutRoutingOptions,
  ResolvedKeycloakLogoutOptions,
} from './keycloak-logout-options.interface.js';

type Input = Record<string, unknown>;

/** Routes (below the prefix) the default redirect URI and post-logout redirect URI point at. */
const CALLBACK_PATH = 'callback';
const LOGOUT_RETURN_PATH = 'logout/return';

const TOP_LEVEL_KEYS = new Set<string>([
  'issuer', 'clientId', 'clientSecret', 'algorithms', 'adminAlgorithms', 'clockTolerance', 'jwksUri', 'jwks', 'logoutToken',
  'bearer', 'sessionProperty', 'revocationTtl', 'sessionTtl', 'maxSessionAge', 'sessionStore', 'maxSessionsPerUser', 'failurePolicy', 'maxBodyBytes', 'backend',
  'routePrefix', 'routes', 'publicUrl', 'redirectUri', 'scopes',
  'postLogoutRedirectUris', 'defaultReturnTo', 'clientSessionHost',
]);

function fail(option: string, reason: string): never {
  throw new KeycloakLogoutConfigError(option, reason);
}

function isRecord(value: unknown): value is Input {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function section(input: Input, name: string, keys: readonly string[]): Input {
  const value = input[name];
  if (value === undefined) return {};
  if (!isRecord(value)) fail(name, 'must be an object');
  for (const key of Object.keys(value)) {
    if (!keys.includes(key)) fail(`${name}.${key}`, `is not a known option (known: ${keys.join(', ')})`);
  }
  return value;
}

function requiredString(value: unknown, option: string): string {
  if (typeof value !== 'string' || value.trim() === '') fail(option, 'is required and must be a non-empty string');
  return value;
}

function optionalString(value: unknown, option: string): string | undefined {
  if (value === undefined) return undefined;
  return requiredString(value, option);
}

function httpUrl(value: string, option: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    fail(option, `must be an absolute URL, got "${value}"`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') fail(option, 'must be an http(s) URL');
  if (url.search || url.hash) fail(option, 'must not contain a query or fragment');
  return value;
}

/** An absolute http(s) URL a browser is sent to: no credentials, no fragment (query allowed when `allowQuery`). */
function browserUrl(value: unknown, option: string, allowQuery: boolean): string {
  const text = requiredString(value, option);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    fail(option, `must be an absolute URL, got ${JSON.stringify(text)}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') fail(option, 'must be an http(s) URL');
  if (url.username || url.password) fail(option, 'must not contain credentials');
  if (url.hash || text.includes('#')) fail(option, 'must not contain a fragment');
  if (!allowQuery && url.search) fail(option, 'must not contain a query');
  return text;
}

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
function browserFlowOptions(input: Input, routing: Pick<ResolvedKeycloakLogoutOptions, 'routePrefix' | 'routes'>) {
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

function integer(value: unknown, option: string, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    fail(option, `must be an integer between ${min} and ${max}, got ${JSON.stringify(value)}`);
  }
  return value;
}

function boolean(value: unknown, option: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') fail(option, `must be true or false, got ${JSON.stringify(value)}`);
  return value;
}

function algorithms(value: unknown, option: string, fallback: readonly string[]): string[] {
  if (value === undefined) return [...fallback];
  if (!Array.isArray(value) || value.length === 0) fail(option, 'must be a non-empty array');
  for (const alg of value) {
    if (!(SUPPORTED_ALGORITHMS as readonly unknown[]).includes(alg)) {
      fail(option, `contains ${JSON.stringify(alg)}; only asymmetric algorithms are allowed (${SUPPORTED_ALGORITHMS.join(', ')})`);
    }
  }
  return [...new Set(value as string[])];
}


function tokenTypes(value: unknown): string[] {
  if (value === undefined) return DEFAULT_OPTIONS.logoutToken.types.map(normalizeMediaType);
  if (!Array.isArray(value) || value.some((t) => typeof t !== 'string' || t === '')) {
    fail('logoutToken.types', 'must be an array of non-empty strings');
  }
  return (value as string[]).map(normalizeMediaType);
}

/**
 * Lifetimes bounded by the revocation horizon: a session or registry record that outlived its
 * revocations would be accepted again once they were forgotten.
 */
function lifetimes(input: Input) {
  const revocationTtl = integer(input.revocationTtl, 'revocationTtl', DEFAULT_OPTIONS.revocationTtl, 60, 31_536_000);
  const withinHorizon = (option: 'sessionTtl' | 'maxSessionAge') => {
    const value = integer(input[option], option, revocationTtl, 60, 31_536_000);
    if (value > revocationTtl) fail(option, `(${value} s) must not exceed revocationTtl (${revocationTtl} s): a revoked session would come back once its revocation expired`);
    return value;
  };
  return { revocationTtl, sessionTtl: withinHorizon('sessionTtl'), maxSessionAge: withinHorizon('maxSessionAge') };
}

function sessionStore(value: unknown): SessionStoreLike | undefined {
  if (value === undefined) return undefined;
  if (!isSessionStore(value)) {
    fail('sessionStore', 'must be a session store with a destroy(id, callback) method (express-session or @fastify/session Store)');
  }
  return value;
}

function logoutBackend(value: unknown): LogoutBackend | undefined {
  if (value === undefined) return undefined;
  const revocationBus = isRecord(value) ? value.revocationBus : undefined;
  const sessionRegistry = isRecord(value) ? value.sessionRegistry : undefined;
  if (!(revocationBus instanceof RevocationBus) || !(sessionRegistry instanceof SessionRegistry)) {
    fail('backend', 'must be a LogoutBackend ({ revocationBus, sessionRegistry }), e.g. from createRedisLogoutBackend() or cacheManagerBackend()');
  }
  return { revocationBus, sessionRegistry };
}

function failurePolicy(value: unknown): FailurePolicy {
  if (value === undefined) return DEFAULT_OPTIONS.failurePolicy;
  if (value !== 'refuse' && value !== 'allow') fail('failurePolicy', `must be "refuse" or "allow", got ${JSON.stringify(value)}`);
  return value;
}

function audience(value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || list.length === 0 || list.some((a) => typeof a !== 'string' || a === '')) {
    fail('bearer.audience', 'must be a non-empty string or array of non-empty strings');
  }
  return list as string[];
}

/** Validates the synchronous routing part; `forRootAsync` calls it before any factory runs. */
export function resolveRouting(input: KeycloakLogoutRoutingOptions): Pick<ResolvedKeycloakLogoutOptions, 'routePrefix' | 'routes'> {
  const raw: Input = { ...input };
  let routePrefix: string = DEFAULT_OPTIONS.routePrefix;
  if (raw.routePrefix !== undefined) {
    if (typeof raw.routePrefix !== 'string' || !/^[A-Za-z0-9._~\-/]*$/.test(raw.routePrefix)) {
      fail('routePrefix', 'must be a path made of letters, digits and - . _ ~ /');
    }
    routePrefix = raw.routePrefix.replace(/^\/+|\/+$/g, '');
  }
  const routeInput = section(raw, 'routes', Object.keys(DEFAULT_OPTIONS.routes));
  const routes = {} as Required<KeycloakLogoutRoutes>;
  for (const [name, fallback] of Object.entries(DEFAULT_OPTIONS.routes) as Array<[keyof KeycloakLogoutRoutes, boolean]>) {
    routes[name] = boolean(routeInput[name], `routes.${name}`, fallback);
  }
  return { routePrefix, routes };
}

/**
 * Validates module options eagerly and fills in defaults. Every problem is reported as a
 * KeycloakLogoutConfigError naming the option, so a bad deployment fails at bootstrap.
 */
export function resolveOptions(options: KeycloakLogoutModuleOptions): ResolvedKeycloakLogoutOptions {
  if (!isRecord(options)) fail('(options)', 'must be an object');
  const input: Input = options;
  for (const key of Object.keys(input)) {
    if (!TOP_LEVEL_KEYS.has(key)) fail(key, 'is not a known option');
  }
  const jwks = section(input, 'jwks', ['cooldown', 'cacheMaxAge', 'timeout']);
  const logoutToken = section(input, 'logoutToken', ['types', 'allowUntyped', 'requireExp', 'maxAge']);
  const bearer = section(input, 'bearer', ['audience', 'cacheSize']);
  const jwksUri = optionalString(input.jwksUri, 'jwksUri');
  const backend = logoutBackend(input.backend);
  if (backend !== undefined && input.maxSessionsPerUser !== undefined) {
    fail('maxSessionsPerUser', 'applies to the default registry; give it to the backend instead (createRedisLogoutBackend or cacheManagerBackend)');
  }
  const algorithmList = algorithms(input.algorithms, 'algorithms', DEFAULT_OPTIONS.algorithms);
  const sessionProperty = optionalString(input.sessionProperty, 'sessionProperty') ?? DEFAULT_OPTIONS.sessionProperty;
  const routing = resolveRouting({ routePrefix: input.routePrefix as string | undefined, routes: input.routes as KeycloakLogoutRoutes | undefined });

  return {
    issuer: httpUrl(requiredString(input.issuer, 'issuer'), 'issuer'),
    clientId: requiredString(input.clientId, 'clientId'),
    clientSecret: optionalString(input.clientSecret, 'clientSecret'),
    algorithms: algorithmList,
    adminAlgorithms: algorithms(input.adminAlgorithms, 'adminAlgorithms', algorithmList),
    clockTolerance: integer(input.clockTolerance, 'clockTolerance', DEFAULT_OPTIONS.clockTolerance, 0, 300),
    jwksUri: jwksUri === undefined ? undefined : httpUrl(jwksUri, 'jwksUri'),
    jwks: {
      cooldown: integer(jwks.cooldown, 'jwks.cooldown', DEFAULT_OPTIONS.jwks.cooldown, 0, 3_600_000),
      cacheMaxAge: integer(jwks.cacheMaxAge, 'jwks.cacheMaxAge', DEFAULT_OPTIONS.jwks.cacheMaxAge, 1_000, 86_400_000),
      timeout: integer(jwks.timeout, 'jwks.timeout', DEFAULT_OPTIONS.jwks.timeout, 100, 60_000),
    },
    logoutToken: {
      types: tokenTypes(logoutToken.types),
      allowUntyped: boolean(logoutToken.allowUntyped, 'logoutToken.allowUntyped', DEFAULT_OPTIONS.logoutToken.allowUntyped),
      requireExp: boolean(logoutToken.requireExp, 'logoutToken.requireExp', DEFAULT_OPTIONS.logoutToken.requireExp),
      maxAge: integer(logoutToken.maxAge, 'logoutToken.maxAge', DEFAULT_OPTIONS.logoutToken.maxAge, 10, 86_400),
    },
    bearer: {
      audience: audience(bearer.audience),
      cacheSize: integer(bearer.cacheSize, 'bearer.cacheSize', DEFAULT_OPTIONS.bearerCacheSize, 0, 10_000_000),
    },
    sessionProperty,
    ...lifetimes(input),
    sessionStore: sessionStore(input.sessionStore),
    maxSessionsPerUser: integer(
      input.maxSessionsPerUser,
      'maxSessionsPerUser',
      DEFAULT_OPTIONS.maxSessionsPerUser,
      MAX_SESSIONS_PER_USER_RANGE.min,
      MAX_SESSIONS_PER_USER_RANGE.max,
    ),
    failurePolicy: failurePolicy(input.failurePolicy),
    maxBodyBytes: integer(input.maxBodyBytes, 'maxBodyBytes', DEFAULT_OPTIONS.maxBodyBytes, 1_024, 1_048_576),
    backend,
    ...routing,
    ...browserFlowOptions(input, routing),
  };
}
