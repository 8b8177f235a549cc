/**
 * The demo's embedded OpenID Provider, built on oidc-provider and shaped like a Keycloak realm
 * where the library cares (docs/keycloak-protocol.md §1, §6, §7). The end-to-end tests run
 * against it too (test/support/test-op.ts adds browserless login and logout drivers):
 *
 * - issuer `http://127.0.0.1:<port>/realms/<realm>` with the endpoints under
 *   `/protocol/openid-connect/{auth,token,logout,certs,userinfo,revoke}`;
 * - RS256 ID, access and logout tokens signed with a key the tests can also use (`privateJwks`);
 * - JWT access tokens with `aud: 'account'`, `azp`, `typ: 'Bearer'`, `sid` and the user's
 *   profile claims; `sid` in every ID token (Keycloak always puts it there) and `session_state`
 *   in the token response;
 * - PKCE (S256) required for every client, a refresh token on every code exchange;
 * - one `sid` per user SSO session, the same for every client of it (Keycloak's user-session
 *   id; oidc-provider would give each client its own), in ID, access and logout tokens;
 * - back-channel logout (with `sid` for clients that have a back-channel URI) driven by
 *   RP-initiated logout at the end_session endpoint.
 *
 * For the demo, the OP also remembers where each logout came from (`logoutOrigin`): which
 * client's RP-initiated logout, or the OP's own logout page, and when it was confirmed. That is
 * shown by the sample, never sent in a protocol message (Keycloak's logout tokens do not say).
 *
 * Known differences from Keycloak, kept on purpose: logout tokens have no payload
 * `typ: 'Logout'` claim; refresh tokens are opaque. Tests that need Keycloak's exact
 * logout-token shapes sign them with `privateJwks` themselves.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { calculateJwkThumbprint, decodeJwt, exportJWK, generateKeyPair, jwtVerify, type JWK } from 'jose';

import { createAdminRest, type AdminRest, type AdminRestOptions } from './admin-rest.js';

export interface KeycloakLikeOpClient {
  clientId: string;
  /** Confidential client when set (client_secret_basic and client_secret_post); public otherwise. */
  clientSecret?: string;
  redirectUris: string[];
  postLogoutRedirectUris?: string[];
  /** Registered with backchannel_logout_session_required (so `sid` is in the logout token). */
  backchannelLogoutUri?: string;
  /**
   * Keycloak's "Backchannel logout session required" switch; default true. When false the
   * logout token carries no `sid` (all sessions of `sub` are meant).
   */
  backchannelLogoutSessionRequired?: boolean;
}

export interface KeycloakLikeOpUser {
  id: string;
  username: string;
  password: string;
  email?: string;
  name?: string;
}

export interface KeycloakLikeOpOptions {
  clients: KeycloakLikeOpClient[];
  /** Address to listen on. Default 127.0.0.1. */
  host?: string;
  /** Port to listen on. Default 0 (a free one). */
  port?: number;
  /** Host name in the issuer URL, e.g. `localhost` for a browser demo. Default: `host`. */
  publicHost?: string;
  /**
   * Confirm RP-initiated logout without asking, as Keycloak does when the request carries a
   * valid `id_token_hint` (the page submits itself; browsers only). Default false.
   */
  autoConfirmLogout?: boolean;
  /** Default: alice/alice-password (id user-alice) and bob/bob-password (id user-bob). */
  users?: KeycloakLikeOpUser[];
  /** Seconds; default 300 (Keycloak's default access token lifespan). */
  accessTokenTtl?: number;
  /** Default 'demo'. */
  realm?: string;
  /**
   * Where the OP reports what it does (logouts and their back-channel calls) and its errors.
   * Default: errors only, on the console.
   */
  logger?: KeycloakLikeOpLogger;
  /** The Admin REST API the doctor reads (admin-rest.ts). */
  admin?: AdminRestOptions;
}

export interface KeycloakLikeOpLogger {
  log(message: string): void;
  error(message: string, error?: unknown): void;
}

/**
 * Where a logout came from, as the OP saw it. Demo information only: Keycloak's logout tokens
 * and Admin URL calls do not carry it.
 */
export interface LogoutOrigin {
  /** The client whose RP-initiated logout it was; undefined when the user logged out at the OP itself. */
  initiatedBy?: string;
  /** The user session (`sid`, one per SSO session) and user it ended. */
  sid?: string;
  sub: string;
  /** Epoch ms the confirmed logout reached the OP, before any back-channel call went out. */
  at: number;
}

export interface BackchannelResult {
  clientId: string;
  sid?: string;
  sub: string;
  ok: boolean;
  error?: string;
}

/**
 * The part of oidc-provider's Provider that tests use. oidc-provider ships no type declarations
 * (and @types/oidc-provider is not a dependency), so this is a structural subset.
 */
export interface OidcProvider {
  readonly issuer: string;
  callback(): (req: IncomingMessage, res: ServerResponse) => Promise<void>;
  use(middleware: (ctx: KoaContext, next: () => Promise<void>) => Promise<void>): unknown;
  on(event: string, listener: (...args: never[]) => void): unknown;
  interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<OidcInteraction>;
  interactionFinished(
    req: IncomingMessage,
    res: ServerResponse,
    result: Record<string, unknown>,
    options?: { mergeWithLastSubmission?: boolean },
  ): Promise<void>;
  Client: {
    new (metadata: Record<string, unknown>): OidcClient;
    find(id: string): Promise<OidcClient | undefined>;
    prototype: OidcClient;
    adapter: { upsert(id: string, payload: Record<string, unknown>, expiresIn?: number): Promise<void> };
  };
  Grant: {
    new (properties: { accountId: string; clientId: string }): OidcGrant;
    find(id: string): Promise<OidcGrant | undefined>;
  };
  Session: {
    findByUid(uid: string): Promise<{ sidFor(clientId: string): string | undefined } | undefined>;
    prototype: OidcSession;
  };
}

/** The part of oidc-provider's Session model patched and read here. */
interface OidcSession {
  accountId?: string;
  authorizations?: Record<string, { sid?: string }>;
  state?: { clientId?: string };
  sidFor(clientId: string, value?: string): string | undefined;
  ensureClientContainer(clientId: string): void;
}

export interface OidcClient {
  clientId: string;
  /** Sends a logout token to the client's backchannel_logout_uri (public model method). */
  backchannelLogout: (this: OidcClient, sub: string, sid?: string) => Promise<void>;
}

interface OidcGrant {
  addOIDCScope(scope: string): void;
  addOIDCClaims(claims: string[]): void;
  addResourceScope(indicator: string, scope: string): void;
  save(): Promise<string>;
}

interface OidcInteraction {
  uid: string;
  grantId?: string;
  prompt: {
    name: string;
    details: {
      missingOIDCScope?: string[];
      missingOIDCClaims?: string[];
      missingResourceScopes?: Record<string, string[]>;
    };
  };
  params: Record<string, unknown>;
  session?: { accountId?: string };
}

interface KoaContext {
  method: string;
  path: string;
  status: number;
  body: unknown;
  /** Set by oidc-provider on its routes. */
  oidc?: { route?: string; body?: Record<string, unknown>; session?: OidcSession };
  req: IncomingMessage;
}

/** What oidc-provider's extraTokenClaims hook receives (an AccessToken or ClientCredentials). */
interface IssuedToken {
  accountId?: string;
  clientId: string;
  sid?: string;
  sessionUid?: string;
}

export interface KeycloakLikeOp {
  /** `http://127.0.0.1:<port>/realms/<realm>`, exactly the discovery `issuer`. */
  issuer: string;
  origin: string;
  /** The OP's signing keys (private JWKs with kid, alg RS256), to sign crafted tokens with jose. */
  privateJwks: { keys: SigningJwk[] };
  signingKid: string;
  provider: OidcProvider;
  /** Query parameters seen at the authorization endpoint, in order. */
  authorizationRequests: Array<Record<string, string>>;
  /** Form parameters seen at the token endpoint, in order (failed requests too). */
  tokenRequests: Array<Record<string, string>>;
  /** Outcomes of the OP's back-channel logout calls (events backchannel.success / .error). */
  backchannelResults: BackchannelResult[];
  /** The endpoints' URLs, at Keycloak's paths below the issuer. */
  endpoints: Record<RouteName, string>;
  /** Adds a client, or replaces one (e.g. once the RP under test knows its port). */
  registerClient(client: KeycloakLikeOpClient): Promise<void>;
  /** A registered client's configuration. */
  clientConfig(clientId: string): KeycloakLikeOpClient | undefined;
  /** The latest logout of this user session (by `sid`, else by `sub`) the OP remembers. */
  logoutOrigin(ended: { sid?: string; sub?: string }): LogoutOrigin | undefined;
  /** Keycloak's Admin REST API as the doctor reads it, with per-client representation patches. */
  adminRest: AdminRest;
  close(): Promise<void>;
}

export type SigningJwk = JWK & { kid: string; alg: 'RS256'; use: 'sig' };

const DEFAULT_USERS: KeycloakLikeOpUser[] = [
  { id: 'user-alice', username: 'alice', password: 'alice-password', email: 'alice@example.test', name: 'Alice Liddell' },
  { id: 'user-bob', username: 'bob', password: 'bob-password', email: 'bob@example.test', name: 'Bob Builder' },
];

// Keycloak's endpoint paths below the realm (docs/keycloak-protocol.md §7).
const ROUTES = {
  authorization: '/protocol/openid-connect/auth',
  token: '/protocol/openid-connect/token',
  end_session: '/protocol/openid-connect/logout',
  jwks: '/protocol/openid-connect/certs',
  userinfo: '/protocol/openid-connect/userinfo',
  revocation: '/protocol/openid-connect/revoke',
} as const;

type RouteName = keyof typeof ROUTES;

/** The endpoints' URLs below `issuer`, by route name. */
function endpointsBelow(issuer: string): Record<RouteName, string> {
  return Object.fromEntries(Object.entries(ROUTES).map(([name, path]) => [name, `${issuer}${path}`])) as Record<RouteName, string>;
}

const LOGIN_ACTIONS = '/login-actions/authenticate/';
/** Logouts remembered for `logoutOrigin`; the demo asks within a second of each. */
const LOGOUT_ORIGINS_KEPT = 100;

const consoleLogger: KeycloakLikeOpLogger = {
  log: () => undefined,
  error: (message, error) => console.error(`[keycloak-like-op] ${message}`, ...(error === undefined ? [] : [error])),
};
// Keycloak's access tokens are for the built-in "account" client.
const ACCESS_TOKEN_AUDIENCE = 'account';

export async function startKeycloakLikeOp(opts: KeycloakLikeOpOptions): Promise<KeycloakLikeOp> {
  const realm = opts.realm ?? 'demo';
  const users = opts.users ?? DEFAULT_USERS;
  const accessTokenTtl = opts.accessTokenTtl ?? 300;
  const clients = new Map<string, KeycloakLikeOpClient>();
  const logger = opts.logger ?? consoleLogger;
  const adminRest = createAdminRest({ realm, clients: () => [...clients.values()], ...(opts.admin ? { options: opts.admin } : {}) });

  // When each logout confirmation reached the OP (see noteLogoutOrigin).
  const logoutConfirmedAt = new WeakMap<IncomingMessage, number>();
  const logoutOrigins: LogoutOrigin[] = [];
  // The issuer contains the port, so listen first and build the provider afterwards.
  let handler: (req: IncomingMessage, res: ServerResponse) => Promise<void> = (_req, res) => {
    res.statusCode = 503;
    res.end();
    return Promise.resolve();
  };
  const server = createServer((req, res) => {
    if (req.method === 'POST' && req.url?.split('?')[0] === `${realmPath}${ROUTES.end_session}/confirm`) {
      logoutConfirmedAt.set(req, Date.now());
    }
    handler(req, res).catch((err: unknown) => {
      logger.error('request failed', err);
      if (!res.headersSent) res.statusCode = 500;
      res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  const origin = `http://${opts.publicHost ?? opts.host ?? '127.0.0.1'}:${port}`;
  const realmPath = `/realms/${realm}`;
  const issuer = `${origin}${realmPath}`;
  const accountResource = `${issuer}/account`;

  const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
  const exported = await exportJWK(privateKey);
  const signingKid = await calculateJwkThumbprint(exported);
  const signingJwk: SigningJwk = { ...exported, kid: signingKid, alg: 'RS256', use: 'sig' };

  const usersById = new Map(users.map((user) => [user.id, user]));
  const authorizationRequests: Array<Record<string, string>> = [];
  const tokenRequests: Array<Record<string, string>> = [];
  const backchannelResults: BackchannelResult[] = [];

  const { Provider, InvalidTarget, currentContext } = await loadOidcProvider();

  // The hooks in `configuration` use `provider`, which exists by the time they are called.
  async function sidOf(token: IssuedToken): Promise<string | undefined> {
    if (token.sid) return token.sid;
    if (!token.sessionUid) return undefined;
    const session = await provider.Session.findByUid(token.sessionUid);
    return session?.sidFor(token.clientId);
  }

  const configuration = {
    // Clients are kept in the adapter (see registerClient) so they can be replaced later.
    clients: [],
    jwks: { keys: [signingJwk] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    findAccount(_ctx: unknown, sub: string) {
      const user = usersById.get(sub);
      if (!user) return undefined;
      return { accountId: sub, claims: () => ({ sub, ...profileClaims(user) }) };
    },
    claims: {
      openid: ['sub'],
      profile: ['name', 'preferred_username'],
      email: ['email', 'email_verified'],
      sid: null,
      acr: null,
      auth_time: null,
      iss: null,
    },
    scopes: ['openid', 'offline_access', 'profile', 'email'],
    responseTypes: ['code'],
    // Keycloak puts the profile claims into the ID token of a code flow too.
    conformIdTokenClaims: false,
    routes: ROUTES,
    interactions: {
      url: (_ctx: unknown, interaction: { uid: string }) => `${realmPath}${LOGIN_ACTIONS}${interaction.uid}`,
    },
    pkce: { required: () => true },
    // Every code exchange gets a refresh token, as in Keycloak (no offline_access needed).
    issueRefreshToken: (_ctx: unknown, client: { grantTypeAllowed(type: string): boolean }) =>
      client.grantTypeAllowed('refresh_token'),
    ttl: {
      AccessToken: accessTokenTtl,
      AuthorizationCode: 60,
      IdToken: accessTokenTtl,
      RefreshToken: 1800,
      Interaction: 600,
      Session: 36_000,
      Grant: 36_000,
    },
    features: {
      devInteractions: { enabled: false },
      // Lets the OP ask for `sid` in every ID token (see withSidClaim).
      claimsParameter: { enabled: true },
      revocation: { enabled: true },
      backchannelLogout: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: (ctx: KoaContext, form: string) => {
          // Keycloak ends the whole SSO session (every client): always confirm with logout=yes.
          const autoSubmit = opts.autoConfirmLogout
            ? `<input type="hidden" form="op.logoutForm" name="logout" value="yes"><script>document.getElementById('op.logoutForm').submit()</script>`
            : '';
          ctx.body = page('Signing out', `<p>Do you want to sign out of every application?</p>${form}<button type="submit" form="op.logoutForm" name="logout" value="yes">Sign out</button>${autoSubmit}`);
        },
        postLogoutSuccessSource: (ctx: KoaContext) => {
          ctx.body = page('Logged out', '<p>You are logged out.</p>');
        },
      },
      resourceIndicators: {
        enabled: true,
        // Every access token is a JWT for Keycloak's "account" audience, with or without `resource`.
        defaultResource: (_ctx: unknown, _client: unknown, oneOf?: string[]) => oneOf ?? accountResource,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx: unknown, indicator: string) => {
          if (indicator !== accountResource) throw new InvalidTarget();
          return {
            scope: 'openid profile email offline_access',
            audience: ACCESS_TOKEN_AUDIENCE,
            accessTokenTTL: accessTokenTtl,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: 'RS256' } },
          };
        },
      },
    },
    // Keycloak access token claims (docs/keycloak-protocol.md §6): typ Bearer, azp, sid, profile.
    extraTokenClaims: async (_ctx: unknown, token: IssuedToken) => {
      if (!token.accountId) return undefined;
      const user = usersById.get(token.accountId);
      return {
        typ: 'Bearer',
        azp: token.clientId,
        sid: await sidOf(token),
        ...(user ? profileClaims(user) : {}),
      };
    },
    formats: {
      customizers: {
        // Keycloak signs access tokens with header typ "JWT", not RFC 9068's "at+jwt".
        jwt: (_ctx: unknown, _token: unknown, jwt: { header?: Record<string, unknown> }) => {
          jwt.header = { ...jwt.header, typ: 'JWT' };
        },
      },
    },
    renderError: (ctx: KoaContext, out: Record<string, string>) => {
      ctx.body = page('Error', `<pre id="error">${escapeHtml(JSON.stringify(out, null, 2))}</pre>`);
    },
    // oidc-provider >= 9.7 refuses loopback targets; the RPs under test live on 127.0.0.1
    // (docs/specs-and-dependencies.md §3). Dropping its dispatcher restores a plain fetch.
    fetch: (url: string | URL, options: RequestInit & { dispatcher?: unknown }) => {
      const init = { ...options };
      delete init.dispatcher;
      return fetch(url, init);
    },
  };

  const provider = quietly(() => new Provider(issuer, configuration));

  shareOneSidPerSession(provider);
  noteLogoutOriginsBeforeBackchannel(provider);

  provider.on('backchannel.success', (_ctx: unknown, client: OidcClient, sub: string, sid?: string) => {
    backchannelResults.push({ clientId: client.clientId, sub, ok: true, ...(sid ? { sid } : {}) });
    logger.log(`back-channel logout delivered to ${client.clientId}`);
  });
  provider.on('backchannel.error', (_ctx: unknown, err: Error, client: OidcClient, sub: string, sid?: string) => {
    backchannelResults.push({ clientId: client.clientId, sub, ok: false, error: describeError(err), ...(sid ? { sid } : {}) });
    logger.error(`back-channel logout to ${client.clientId} failed: ${describeError(err)}`);
  });
  // JWT access tokens are not stored by oidc-provider; remember each one's grant so userinfo
  // can tell whether it is still live (logout and refresh-token revocation destroy the grant).
  const accessTokenGrants = new Map<string, string>();
  provider.on('access_token.issued', (token: { jti: string; grantId?: string }) => {
    if (token.grantId) accessTokenGrants.set(token.jti, token.grantId);
  });
  provider.on('server_error', (_ctx: unknown, err: Error) => {
    logger.error('server_error', err);
  });

  /**
   * Before the first logout token of a confirmed logout goes out, notes who asked for it (the
   * client of the end-session request, kept in the OP session's logout state) and when the
   * confirmation arrived. Sent nowhere: the demo reads it through `logoutOrigin`.
   */
  function noteLogoutOriginsBeforeBackchannel(op: OidcProvider): void {
    const prototype = op.Client.prototype;
    const send = prototype.backchannelLogout;
    const noted = new WeakSet<object>();
    prototype.backchannelLogout = function backchannelLogout(this: OidcClient, sub: string, sid?: string) {
      const ctx = currentContext();
      if (ctx !== undefined && !noted.has(ctx)) {
        noted.add(ctx);
        const initiatedBy = ctx.oidc?.session?.state?.clientId;
        const origin: LogoutOrigin = { sub, ...(sid ? { sid } : {}), ...(initiatedBy ? { initiatedBy } : {}), at: logoutConfirmedAt.get(ctx.req) ?? Date.now() };
        logoutOrigins.push(origin);
        if (logoutOrigins.length > LOGOUT_ORIGINS_KEPT) logoutOrigins.shift();
        logger.log(`logout confirmed, started by ${initiatedBy ?? 'the identity provider\'s logout page'}; calling the back-channel logout URLs`);
      }
      return send.call(this, sub, sid);
    };
  }

  function logoutOrigin(ended: { sid?: string; sub?: string }): LogoutOrigin | undefined {
    for (let index = logoutOrigins.length - 1; index >= 0; index -= 1) {
      const origin = logoutOrigins[index]!;
      if (ended.sid !== undefined ? origin.sid === ended.sid : ended.sub !== undefined && origin.sub === ended.sub) return origin;
    }
    return undefined;
  }

  // Token endpoint: record the form as the provider parsed it, and add Keycloak's
  // `session_state` (= sid) to the response.
  provider.use(async (ctx, next) => {
    try {
      await next();
    } finally {
      if (ctx.oidc?.route === 'token') {
        tokenRequests.push(stringRecord(ctx.oidc.body ?? {}));
        addSessionState(ctx);
      }
    }
  });

  const providerCallback = provider.callback();

  async function registerClient(client: KeycloakLikeOpClient): Promise<void> {
    const metadata = clientMetadata(client);
    // Validate now (the constructor throws on bad metadata) rather than on first use.
    new provider.Client(metadata);
    await provider.Client.adapter.upsert(client.clientId, metadata);
    clients.set(client.clientId, client);
  }
  for (const client of opts.clients) await registerClient(client);

  handler = async (req, res) => {
    const url = new URL(req.url ?? '/', origin);
    const { pathname } = url;
    if (await adminRest.handle(req, res, url)) return;
    if (pathname.startsWith(`${realmPath}${LOGIN_ACTIONS}`)) return loginActions(req, res, url);
    if (pathname === `${realmPath}${ROUTES.userinfo}`) return userinfo(req, res);
    if (pathname !== realmPath && !pathname.startsWith(`${realmPath}/`)) {
      return send(res, 404, 'text/plain', 'not found');
    }
    let target = `${pathname}${url.search}`;
    if (req.method === 'GET' && pathname === `${realmPath}${ROUTES.authorization}`) {
      authorizationRequests.push(Object.fromEntries(url.searchParams));
      target = withSidClaim(url);
    }
    // Mount below the realm path the way oidc-provider documents: strip the prefix from
    // req.url and keep the full path in req.originalUrl, from which it derives its own URLs.
    const mounted = req as IncomingMessage & { originalUrl?: string };
    mounted.originalUrl = target;
    const stripped = target.slice(realmPath.length);
    mounted.url = stripped.startsWith('/') ? stripped : `/${stripped}`;
    return providerCallback(req, res);
  };

  /** The login form (prompt "login") and automatic consent (prompt "consent"). */
  async function loginActions(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    let interaction: OidcInteraction;
    try {
      interaction = await provider.interactionDetails(req, res);
    } catch (err) {
      return send(res, 400, 'text/html', page('Error', `<p id="error">${escapeHtml(describeError(err))}</p>`));
    }
    const action = `${origin}${url.pathname}`;
    const { prompt } = interaction;

    if (prompt.name === 'login') {
      if (req.method !== 'POST') return send(res, 200, 'text/html', loginPage(action));
      const form = new URLSearchParams(await readBody(req));
      const login = form.get('username') ?? '';
      // Keycloak accepts the username or the e-mail address.
      const user = users.find((u) => u.username === login || (u.email !== undefined && u.email === login));
      if (!user || user.password !== form.get('password')) {
        return send(res, 200, 'text/html', loginPage(action, 'Invalid username or password.'));
      }
      return provider.interactionFinished(req, res, { login: { accountId: user.id } }, { mergeWithLastSubmission: false });
    }

    if (prompt.name === 'consent') {
      // Keycloak clients need no consent by default: grant whatever was asked for.
      const accountId = interaction.session?.accountId;
      const clientId = interaction.params.client_id;
      if (!accountId || typeof clientId !== 'string') {
        return send(res, 400, 'text/html', page('Error', '<p id="error">no session for consent</p>'));
      }
      const existing = interaction.grantId ? await provider.Grant.find(interaction.grantId) : undefined;
      const grant = existing ?? new provider.Grant({ accountId, clientId });
      const { details } = prompt;
      if (details.missingOIDCScope) grant.addOIDCScope(details.missingOIDCScope.join(' '));
      if (details.missingOIDCClaims) grant.addOIDCClaims(details.missingOIDCClaims);
      for (const [indicator, scopes] of Object.entries(details.missingResourceScopes ?? {})) {
        grant.addResourceScope(indicator, scopes.join(' '));
      }
      const grantId = await grant.save();
      return provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
    }

    return send(res, 400, 'text/html', page('Error', `<p id="error">unsupported prompt ${escapeHtml(prompt.name)}</p>`));
  }

  /**
   * Keycloak's userinfo accepts its own (JWT) access tokens; oidc-provider's refuses any token
   * with an audience, so it is served here: a valid signature and a live grant are required.
   */
  async function userinfo(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const authorization = req.headers.authorization ?? '';
    let token = /^Bearer\s+(\S+)$/i.exec(authorization)?.[1];
    if (!token && req.method === 'POST') token = new URLSearchParams(await readBody(req)).get('access_token') ?? undefined;
    const reject = (description: string) => {
      res.setHeader('www-authenticate', `Bearer error="invalid_token", error_description="${description}"`);
      send(res, 401, 'application/json', JSON.stringify({ error: 'invalid_token', error_description: description }));
    };
    if (!token) return reject('missing access token');
    let payload;
    try {
      ({ payload } = await jwtVerify(token, publicKey, { issuer, algorithms: ['RS256'] }));
    } catch (err) {
      return reject(describeError(err));
    }
    const grantId = typeof payload.jti === 'string' ? accessTokenGrants.get(payload.jti) : undefined;
    const grant = grantId ? await provider.Grant.find(grantId) : undefined;
    const user = typeof payload.sub === 'string' ? usersById.get(payload.sub) : undefined;
    if (!grant || !user) return reject('token is no longer active');
    send(res, 200, 'application/json', JSON.stringify({ sub: user.id, ...profileClaims(user) }));
  }

  return {
    issuer,
    origin,
    privateJwks: { keys: [signingJwk] },
    signingKid,
    provider,
    authorizationRequests,
    tokenRequests,
    backchannelResults,
    endpoints: endpointsBelow(issuer),
    registerClient,
    clientConfig: (clientId) => clients.get(clientId),
    logoutOrigin,
    adminRest,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    },
  };
}

interface OidcProviderModule {
  Provider: new (issuer: string, configuration: object) => OidcProvider;
  InvalidTarget: new () => Error;
  /** The request oidc-provider is handling in this async context (its `Provider.ctx`). */
  currentContext: () => KoaContext | undefined;
}

/**
 * Imports oidc-provider. The specifier is a variable on purpose: the package has no type
 * declarations, and a literal import would fail strict type checking (TS7016). The import
 * also prints "Unsupported runtime" on Node 20 (oidc-provider 9 wants Node 22); it is
 * silenced here since the project knowingly tests on Node 20 (docs/specs-and-dependencies.md §3).
 */
async function loadOidcProvider(): Promise<OidcProviderModule> {
  const specifier = 'oidc-provider';
  const restore = muteOidcProviderNotices();
  try {
    const mod = (await import(specifier)) as {
      default: OidcProviderModule['Provider'] & { readonly ctx?: KoaContext };
      errors: { InvalidTarget: OidcProviderModule['InvalidTarget'] };
    };
    return { Provider: mod.default, InvalidTarget: mod.errors.InvalidTarget, currentContext: () => mod.default.ctx };
  } finally {
    restore();
  }
}

/** Runs `fn` without oidc-provider's start-up notices (in-memory adapter, runtime). */
function quietly<T>(fn: () => T): T {
  const restore = muteOidcProviderNotices();
  try {
    return fn();
  } finally {
    restore();
  }
}

function muteOidcProviderNotices(): () => void {
  const { warn, info } = console;
  const muted = /oidc-provider NOTICE|Unsupported runtime|in-memory adapter/;
  const filter =
    (original: (...args: unknown[]) => void) =>
    (...args: unknown[]) => {
      if (typeof args[0] === 'string' && muted.test(args[0])) return;
      original.apply(console, args);
    };
  console.warn = filter(warn);
  console.info = filter(info);
  return () => {
    console.warn = warn;
    console.info = info;
  };
}

/**
 * Keycloak has one `sid` per user session, the same in every client's tokens; oidc-provider
 * draws a new one for each client of a session (Session#ensureClientContainer). This makes a
 * client joining a session take the sid the session already has, or a new UUID for the first.
 */
function shareOneSidPerSession(provider: OidcProvider): void {
  provider.Session.prototype.ensureClientContainer = function ensureClientContainer(this: OidcSession, clientId: string) {
    if (this.sidFor(clientId)) return;
    const existing = Object.values(this.authorizations ?? {}).find((authorization) => authorization.sid)?.sid;
    this.sidFor(clientId, existing ?? randomUUID());
  };
}

function clientMetadata(client: KeycloakLikeOpClient): Record<string, unknown> {
  return {
    client_id: client.clientId,
    ...(client.clientSecret !== undefined
      ? { client_secret: client.clientSecret, token_endpoint_auth_method: 'client_secret_basic' }
      : { token_endpoint_auth_method: 'none' }),
    redirect_uris: client.redirectUris,
    post_logout_redirect_uris: client.postLogoutRedirectUris ?? [],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    ...(client.backchannelLogoutUri !== undefined
      ? {
          backchannel_logout_uri: client.backchannelLogoutUri,
          backchannel_logout_session_required: client.backchannelLogoutSessionRequired ?? true,
        }
      : {}),
  };
}

function profileClaims(user: KeycloakLikeOpUser): Record<string, unknown> {
  return {
    preferred_username: user.username,
    ...(user.name !== undefined ? { name: user.name } : {}),
    ...(user.email !== undefined ? { email: user.email, email_verified: true } : {}),
  };
}

/**
 * Keycloak puts `sid` into every ID token; oidc-provider only does for clients with
 * backchannel_logout_session_required, or when the claims parameter asks for it. So every
 * authorization request asks for it (merged into a `claims` parameter the RP may have sent).
 */
function withSidClaim(url: URL): string {
  const params = new URLSearchParams(url.searchParams);
  let claims: Record<string, unknown> = {};
  const sent = params.get('claims');
  if (sent !== null) {
    try {
      const parsed: unknown = JSON.parse(sent);
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return `${url.pathname}${url.search}`;
      claims = parsed as Record<string, unknown>;
    } catch {
      // Leave a malformed parameter for the provider to reject.
      return `${url.pathname}${url.search}`;
    }
  }
  const idToken = claims.id_token;
  const idTokenClaims = idToken && typeof idToken === 'object' ? (idToken as Record<string, unknown>) : {};
  claims = { ...claims, id_token: { sid: null, ...idTokenClaims } };
  params.set('claims', JSON.stringify(claims));
  return `${url.pathname}?${params.toString()}`;
}

function addSessionState(ctx: KoaContext): void {
  const body = ctx.body;
  if (ctx.status !== 200 || !body || typeof body !== 'object') return;
  const response = body as Record<string, unknown>;
  if (typeof response.id_token !== 'string') return;
  const { sid } = decodeJwt(response.id_token);
  if (typeof sid === 'string') response.session_state = sid;
}

function stringRecord(input: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(input)) {
    if (typeof value === 'string') out[key] = value;
    else if (Array.isArray(value)) out[key] = value.map(String).join(',');
  }
  return out;
}

function loginPage(action: string, error?: string): string {
  return page(
    'Sign in',
    `<h1>Sign in to your account</h1>
${error ? `<div id="input-error" class="error">${escapeHtml(error)}</div>` : ''}
<form id="kc-form-login" method="post" action="${escapeHtml(action)}">
  <label for="username">Username or email</label>
  <input id="username" name="username" type="text" autocomplete="username" autofocus>
  <label for="password">Password</label>
  <input id="password" name="password" type="password" autocomplete="current-password">
  <input id="kc-login" name="login" type="submit" value="Sign In">
</form>`,
  );
}

function page(title: string, body: string): string {
  return `<!DOCTYPE html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)}</title>
<style>
body{font-family:system-ui,sans-serif;background:#f3f4f6;color:#1f2937;display:flex;justify-content:center;padding:48px 16px;margin:0}
main{background:#fff;border-top:4px solid #0066cc;border-radius:6px;box-shadow:0 1px 4px rgba(0,0,0,.12);padding:28px 32px;width:340px}
h1{font-size:20px;margin:0 0 18px}.realm{font-size:12px;text-transform:uppercase;letter-spacing:.08em;color:#6b7280;margin-bottom:6px}
label{display:block;font-size:13px;margin:12px 0 4px}input[type=text],input[type=password]{width:100%;box-sizing:border-box;padding:8px;border:1px solid #d1d5db;border-radius:4px}
input[type=submit],button{margin-top:18px;width:100%;padding:9px;background:#0066cc;color:#fff;border:0;border-radius:4px;font-size:14px;cursor:pointer}
.error{background:#fef2f2;color:#991b1b;padding:8px;border-radius:4px;font-size:13px}
</style></head><body><main><div class="realm">Embedded identity provider</div>${body}</main></body></html>`;
}

function escapeHtml(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause instanceof Error ? ` | cause: ${err.cause.message}` : '';
  return `${err.message}${cause}`;
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.statusCode = status;
  res.setHeader('content-type', `${type}; charset=utf-8`);
  res.setHeader('cache-control', 'no-store');
  res.end(body);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
