import { MAX_SESSIONS_PER_USER_RANGE } from '../registry/max-sessions-per-user.js';
import type { LogoutBackend } from '../backend/logout-backend.interface.js';
import { SessionRegistry } from '../registry/session-registry.js';
import { RevocationBus } from '../revocation/revocation-bus.js';
import { browserFlowOptions } from './browser-flow-options.js';
import { realmOptions } from './realm-options.js';
import { boolean, fail, httpUrl, integer, isRecord, optionalString, requiredString, section, type Input } from './option-checks.js';
import { isSessionStore, type SessionStoreLike } from '../session/session-store.interface.js';
import { normalizeMediaType } from '../tokens/token-rules.js';
import { resolveTelemetryOptions } from '../telemetry/telemetry-options.js';
import { DEFAULT_OPTIONS, SUPPORTED_ALGORITHMS } from './default-options.js';
import type {
  FailurePolicy,
  KeycloakLogoutModuleOptions,
  KeycloakLogoutRoutes,
  KeycloakLogoutRoutingOptions,
  ResolvedKeycloakLogoutOptions,
} from './keycloak-logout-options.interface.js';

const TOP_LEVEL_KEYS = new Set<string>([
  'issuer', 'clientId', 'clientSecret', 'algorithms', 'adminAlgorithms', 'realms', 'clockTolerance', 'jwksUri', 'jwks', 'logoutToken',
  'bearer', 'liveConnections', 'sessionProperty', 'revocationTtl', 'sessionTtl', 'maxSessionAge', 'sessionStore', 'maxSessionsPerUser', 'failurePolicy', 'maxBodyBytes', 'backend',
  'routePrefix', 'routes', 'publicUrl', 'redirectUri', 'scopes',
  'postLogoutRedirectUris', 'defaultReturnTo', 'clientSessionHost', 'telemetry',
]);

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

function audience(value: unknown, option = 'bearer.audience'): string[] | undefined {
  if (value === undefined) return undefined;
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || list.length === 0 || list.some((a) => typeof a !== 'string' || a === '')) {
    fail(option, 'must be a non-empty string or array of non-empty strings');
  }
  return list as string[];
}

function beforeClose(value: unknown): ResolvedKeycloakLogoutOptions['liveConnections']['beforeClose'] {
  if (value === undefined) return undefined;
  if (typeof value !== 'function') fail('liveConnections.beforeClose', 'must be a function');
  return value as ResolvedKeycloakLogoutOptions['liveConnections']['beforeClose'];
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
  const bearer = section(input, 'bearer', ['audience', 'cacheSize', 'cacheMaxAge', 'queryParameter']);
  const live = section(input, 'liveConnections', ['closeAtLogout', 'beforeClose']);
  const jwksUri = optionalString(input.jwksUri, 'jwksUri');
  const backend = logoutBackend(input.backend);
  if (backend !== undefined && input.maxSessionsPerUser !== undefined) {
    fail('maxSessionsPerUser', 'applies to the default registry; give it to the backend instead (createRedisLogoutBackend or cacheManagerBackend)');
  }
  const algorithmList = algorithms(input.algorithms, 'algorithms', DEFAULT_OPTIONS.algorithms);
  const sessionProperty = optionalString(input.sessionProperty, 'sessionProperty') ?? DEFAULT_OPTIONS.sessionProperty;
  const issuer = httpUrl(requiredString(input.issuer, 'issuer'), 'issuer');
  const routing = resolveRouting({ routePrefix: input.routePrefix as string | undefined, routes: input.routes as KeycloakLogoutRoutes | undefined });

  return {
    issuer,
    clientId: requiredString(input.clientId, 'clientId'),
    clientSecret: optionalString(input.clientSecret, 'clientSecret'),
    algorithms: algorithmList,
    adminAlgorithms: algorithms(input.adminAlgorithms, 'adminAlgorithms', algorithmList),
    realms: realmOptions(input.realms, issuer, { algorithms, audience }),
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
      cacheMaxAge: integer(bearer.cacheMaxAge, 'bearer.cacheMaxAge', DEFAULT_OPTIONS.bearerCacheMaxAge, 1_000, 86_400_000),
      queryParameter: optionalString(bearer.queryParameter, 'bearer.queryParameter'),
    },
    liveConnections: {
      closeAtLogout: boolean(live.closeAtLogout, 'liveConnections.closeAtLogout', true),
      beforeClose: beforeClose(live.beforeClose),
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
    telemetry: resolveTelemetryOptions(input),
    ...routing,
    ...browserFlowOptions(input, routing),
  };
}
