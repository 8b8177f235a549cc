import type { LogoutBackend } from '../backend/logout-backend.interface.js';
import type { ResolvedTelemetryOptions, TelemetryOptions } from '../telemetry/telemetry-options.js';
import type { SessionStoreLike } from '../session/session-store.interface.js';
import type { LiveConnection } from '../live-connections/live-connection.interface.js';
import type { LogoutEvent } from '../revocation/logout-event.interface.js';
import type { ModuleMetadata, Type, InjectionToken, OptionalFactoryDependency } from '@nestjs/common';

/** What the guards do when the local revocation view may be stale (see README "Failure policy"). */
export type FailurePolicy = 'refuse' | 'allow';

/** Which routes the logout controller mounts under `routePrefix`. Each is on unless set to false. */
export interface KeycloakLogoutRoutes {
  /** `POST {prefix}/backchannel-logout` (and `{prefix}/realms/{name}/backchannel-logout` per further realm): OIDC Back-Channel Logout 1.0. */
  backchannelLogout?: boolean;
  /**
   * `POST {prefix}/k_logout`, `{prefix}/k_push_not_before`, `{prefix}/k_test_available`: Keycloak's
   * Admin URL (and the same under `{prefix}/realms/{name}` per further realm).
   */
  keycloakAdmin?: boolean;
  /**
   * `GET {prefix}/login` and `GET {prefix}/callback`: browser login (Authorization Code + PKCE)
   * into an express-session. Off by default; needs `publicUrl` and the optional peers
   * `passport`, `passport-openidconnect`, `@nestjs/passport`.
   */
  login?: boolean;
  /**
   * `GET|POST {prefix}/logout` and `GET {prefix}/logout/return`: RP-initiated logout (local
   * logout, then the OP's end_session_endpoint). Off by default; needs `publicUrl`.
   */
  logout?: boolean;
  /**
   * `GET {prefix}/frontchannel-logout?iss=…&sid=…`: OIDC Front-Channel Logout 1.0. Off by default.
   * Keycloak rule: a client with "Front channel logout" ON never receives back-channel logouts
   * (nor admin/API-initiated ones), only browser-driven iframes that third-party-cookie
   * blocking and closed tabs make unreliable. Prefer back-channel; turn this on only for
   * clients that must use front-channel, with "Front-channel logout session required" ON.
   */
  frontchannelLogout?: boolean;
}

export interface LogoutTokenOptions {
  /**
   * Accepted JOSE header `typ` values, compared case-insensitively without `application/`.
   * Default `['logout+jwt', 'JWT']`: Keycloak ≥ 25 sends `logout+jwt`, Keycloak ≤ 24 sends `JWT`.
   */
  types?: string[];
  /** Accept a logout token with no `typ` header (other OPs). Default true. */
  allowUntyped?: boolean;
  /**
   * Require the `exp` claim (spec errata 1). Default true. Set false only for Keycloak < 24
   * (and 22.0/23.0 before their patch releases), whose logout tokens carry no `exp`.
   */
  requireExp?: boolean;
  /** Oldest acceptable `iat`, in seconds. Bounds tokens without `exp` and the replay window. Default 300. */
  maxAge?: number;
}

export interface JwksOptions {
  /** Minimum ms between two JWKS fetches triggered by an unknown `kid`. Default 30000. */
  cooldown?: number;
  /** Ms after which cached keys are refetched. Default 600000. */
  cacheMaxAge?: number;
  /** Ms before a JWKS or discovery request is abandoned. Default 5000. */
  timeout?: number;
}

export interface BearerOptions {
  /**
   * Strict audience: the access token's `aud` must contain one of these. When unset, a token is
   * accepted if its `aud` contains the client id or its `azp` equals it (Keycloak issues
   * `aud: "account"` with `azp: <client>`).
   */
  audience?: string | string[];
  /** Verified access tokens kept (by token string) to skip repeated signature checks. Default 10000. */
  cacheSize?: number;
  /**
   * Ms a verified token is trusted without checking its signature again, however far off its
   * `exp`; its next call after that verifies it again against the realm's keys as published then
   * (a key the realm withdrew refuses it). Default 600000.
   */
  cacheMaxAge?: number;
  /**
   * A query parameter of the WebSocket handshake URL that may carry the access token (e.g.
   * `access_token`), for clients that can set neither a header nor a handshake payload. Off by
   * default: URLs end up in proxy and access logs. Never read on HTTP requests.
   */
  queryParameter?: string;
}

/** What happens to live connections (WebSockets, GraphQL subscriptions, SSE streams) at logout. */
export interface LiveConnectionOptions {
  /**
   * Close the live connections of a session or user when they are logged out, on every instance.
   * Default true. A gateway or resolver can opt out with `@KeepOpenAtLogout()`.
   */
  closeAtLogout?: boolean;
  /**
   * Called before each connection is closed at logout (e.g. to send the app's own goodbye on the
   * socket). Awaited for at most a second; an error is logged and the connection closed anyway.
   */
  beforeClose?: (connection: LiveConnection, event: LogoutEvent) => void | Promise<void>;
}

/**
 * A further realm (issuer) whose tokens and logouts the app accepts, beside the primary realm of
 * the top-level options. Everything here is this realm's own; the rest (clock tolerance, JWKS
 * timing, logout-token rules, lifetimes, backend) is shared with the primary realm.
 */
export interface RealmOptions {
  /**
   * Names the realm in routes (`{routePrefix}/realms/{name}/backchannel-logout`, `…/k_logout`)
   * and in the RevocationService API (`{ realm: name }`). A URL path segment: letters, digits,
   * `-`, `_`, `.`, `~`, at most 64 characters.
   */
  name: string;
  /** The realm's issuer; unique among all configured realms. Discovery is fetched from it. */
  issuer: string;
  /** This app's client id in that realm. */
  clientId: string;
  clientSecret?: string;
  /** As the top-level `algorithms`. Default `['RS256']`. */
  algorithms?: string[];
  /** As the top-level `adminAlgorithms`. Default: this realm's `algorithms`. */
  adminAlgorithms?: string[];
  /** JWKS URL; default is the discovered `jwks_uri` of this realm. */
  jwksUri?: string;
  /** As `bearer.audience`, for this realm's access tokens. Default: `aud` or `azp` names `clientId`. */
  audience?: string | string[];
}

export interface KeycloakLogoutModuleOptions {
  /** The realm's issuer, e.g. `https://kc.example/realms/demo`. Discovery is fetched from it. */
  issuer: string;
  /** This app's client id in the realm. */
  clientId: string;
  /** The client secret (confidential clients); used by login and API logout. */
  clientSecret?: string;
  /**
   * Accepted JWS algorithms of access tokens, ID tokens and logout tokens. Default `['RS256']`.
   * Never taken from the OP's metadata. Keycloak signs logout tokens and ID tokens with the
   * client's "ID token signature algorithm" (realm default when unset) and access tokens with
   * the client's "Access token signature algorithm": list every one in use.
   */
  algorithms?: string[];
  /**
   * Accepted JWS algorithms of Keycloak's Admin URL actions (`k_logout`, `k_push_not_before`,
   * `k_test_available`). Keycloak signs those with the realm's default signature algorithm,
   * which can differ from the client's ID-token algorithm. Default: `algorithms`.
   */
  adminAlgorithms?: string[];
  /**
   * Further realms (issuers) accepted beside the primary one above: their access tokens pass the
   * bearer guard, and their back-channel and admin logouts have routes of their own. Each
   * realm's revocations affect only that realm's tokens. See README "Several realms".
   */
  realms?: RealmOptions[];
  /** Seconds of clock skew tolerated on `exp`, `iat`, `nbf`. Default 5. */
  clockTolerance?: number;
  /** JWKS URL; default is the discovered `jwks_uri`. */
  jwksUri?: string;
  jwks?: JwksOptions;
  logoutToken?: LogoutTokenOptions;
  bearer?: BearerOptions;
  liveConnections?: LiveConnectionOptions;
  /** Property of the server-side session (`req.session[...]`) holding the login record. Default `keycloak`. */
  sessionProperty?: string;
  /**
   * Seconds a revocation is kept: the revocation horizon. No browser session or access token
   * older than this is accepted (see `maxSessionAge`), so a revocation can never expire while
   * what it revoked is still usable. Default 36000 (Keycloak's default SSO Session Max).
   */
  revocationTtl?: number;
  /** Seconds a session stays in the registry. At most `revocationTtl`. Default: `revocationTtl`. */
  sessionTtl?: number;
  /**
   * Seconds after its login a browser session is still accepted by the session guard; an older
   * one is destroyed and answered 401. At most `revocationTtl`. Default: `revocationTtl`.
   */
  maxSessionAge?: number;
  /**
   * The app's server-side session store (an express-session or @fastify/session `Store`), so
   * that a logout destroys the sessions it ends there at once, on every instance, instead of
   * on their next request. Default: the store the library finds on requests (`req.sessionStore`).
   */
  sessionStore?: SessionStoreLike;
  /**
   * Most sessions the session registry keeps per user (`sub`), 1 to 100000. Default 1000.
   * Bounds what one user (or a script logging in as one) can make the registry hold. When a
   * user has more, that user's oldest registrations are dropped from the registry. They are
   * not logged out, and the guards still refuse them after a logout of their `sid` or user
   * (revocations are checked against the token or session itself); but `onLogout` events no
   * longer list them, and a `k_logout` naming only their app session id can no longer revoke
   * the Keycloak `sid` it belonged to. Applies to the default registry; not allowed with
   * `backend` (give the cap to the backend instead, e.g. `createRedisLogoutBackend({
   * maxSessionsPerUser })` or `cacheManagerBackend(cache, { maxSessionsPerUser })`).
   */
  maxSessionsPerUser?: number;
  /** What guards do when the revocation view may be stale. Default `refuse`. */
  failurePolicy?: FailurePolicy;
  /** Largest accepted request body on the logout routes, in bytes. Default 16384. */
  maxBodyBytes?: number;
  /**
   * Where sessions and revocations are shared. Default: this process only. Use
   * `createRedisLogoutBackend()` from `nestjs-keycloak-logout/redis` for several instances, or
   * `cacheManagerBackend(cache)` to keep the session registry in a cache-manager cache.
   */
  backend?: LogoutBackend;
  /** OpenTelemetry providers for the library's metrics and spans. Default: the global ones (no-ops without an SDK). */
  telemetry?: TelemetryOptions;
  /** Route prefix of the logout controller. Default `auth`. */
  routePrefix?: string;
  routes?: KeycloakLogoutRoutes;
  /**
   * The app's public base URL as browsers reach it (origin plus optional base path), e.g.
   * `https://app.example.com`. Required by `routes.login` and `routes.logout`: redirect URIs
   * are built from it, never from the request's Host header.
   */
  publicUrl?: string;
  /** The login callback registered at the OP. Default `{publicUrl}/{routePrefix}/callback`. */
  redirectUri?: string;
  /** Scopes requested at login; `openid` is always included. Default `['openid', 'profile', 'email']`. */
  scopes?: string[];
  /**
   * Allow-list of `post_logout_redirect_uri` values for RP-initiated logout (each must also be
   * registered at the OP). The first is the default. Default `['{publicUrl}/{routePrefix}/logout/return']`.
   */
  postLogoutRedirectUris?: string[];
  /** Where login and logout send the browser when no `returnTo` was asked for. A same-origin path. Default `/`. */
  defaultReturnTo?: string;
  /**
   * Sent as Keycloak's `client_session_host` at the code exchange (with `client_session_state`),
   * for an Admin URL with `${application.session.host}`. A bare host name (optionally `:port`)
   * of this instance, never taken from a request. Keycloak ≥ 26.4.13 stores it only if it
   * matches a host of the client's configured URLs (CVE-2026-4874). Default: not sent.
   */
  clientSessionHost?: string;
}

/** Options decided when routes are built; `forRootAsync` takes them directly, not from the factory. */
export type KeycloakLogoutRoutingOptions = Pick<KeycloakLogoutModuleOptions, 'routePrefix' | 'routes'>;

/** What a `forRootAsync` factory returns. */
export type KeycloakLogoutAsyncResult = Omit<KeycloakLogoutModuleOptions, 'routePrefix' | 'routes'>;

export interface KeycloakLogoutOptionsFactory {
  createKeycloakLogoutOptions(): KeycloakLogoutAsyncResult | Promise<KeycloakLogoutAsyncResult>;
}

export interface KeycloakLogoutModuleAsyncOptions
  extends Pick<ModuleMetadata, 'imports'>,
    KeycloakLogoutRoutingOptions {
  // Matches Nest's own async-module signature: the injected values' types are the caller's.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  useFactory?: (...args: any[]) => KeycloakLogoutAsyncResult | Promise<KeycloakLogoutAsyncResult>;
  inject?: Array<InjectionToken | OptionalFactoryDependency>;
  useClass?: Type<KeycloakLogoutOptionsFactory>;
  useExisting?: Type<KeycloakLogoutOptionsFactory>;
}

/** A further realm after validation. */
export interface ResolvedRealmOptions {
  name: string;
  issuer: string;
  clientId: string;
  clientSecret: string | undefined;
  algorithms: string[];
  adminAlgorithms: string[];
  jwksUri: string | undefined;
  audience: string[] | undefined;
}

/** Options after validation, with every default filled in. */
export interface ResolvedKeycloakLogoutOptions {
  issuer: string;
  clientId: string;
  clientSecret: string | undefined;
  algorithms: string[];
  adminAlgorithms: string[];
  /** Further realms; empty for a single-realm app. */
  realms: ResolvedRealmOptions[];
  clockTolerance: number;
  jwksUri: string | undefined;
  jwks: Required<JwksOptions>;
  logoutToken: Required<LogoutTokenOptions>;
  bearer: { audience: string[] | undefined; cacheSize: number; cacheMaxAge: number; queryParameter: string | undefined };
  liveConnections: { closeAtLogout: boolean; beforeClose: LiveConnectionOptions['beforeClose'] };
  sessionProperty: string;
  revocationTtl: number;
  sessionTtl: number;
  maxSessionAge: number;
  sessionStore: SessionStoreLike | undefined;
  maxSessionsPerUser: number;
  failurePolicy: FailurePolicy;
  maxBodyBytes: number;
  backend: LogoutBackend | undefined;
  telemetry: ResolvedTelemetryOptions;
  routePrefix: string;
  routes: Required<KeycloakLogoutRoutes>;
  publicUrl: string | undefined;
  redirectUri: string | undefined;
  scopes: string[];
  postLogoutRedirectUris: string[];
  defaultReturnTo: string;
  clientSessionHost: string | undefined;
}
