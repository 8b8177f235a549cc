/**
 * A real OpenID Provider for tests: the sample's embedded, Keycloak-like OP (oidc-provider, see
 * sample/idp/keycloak-like-op.ts), with browserless drivers for the flows the tests run through
 * it: login with code + PKCE, an authorization request the RP under test started, and
 * RP-initiated logout. One OP implementation serves the demo and the tests.
 */
import { createHash, randomBytes } from 'node:crypto';

import { decodeJwt } from 'jose';

import { startKeycloakLikeOp, type KeycloakLikeOp, type KeycloakLikeOpOptions } from '../../sample/idp/keycloak-like-op.js';
import { createHttpAgent, type HttpAgent } from './http-client.js';

export interface LoginOptions {
  clientId: string;
  username: string;
  /** Needed only when the OP shows its login form, i.e. not for an SSO login. */
  password?: string;
  /** Default 'openid profile email'. */
  scope?: string;
  /** Extra form parameters for the code exchange (e.g. Keycloak's client_session_state). */
  extraTokenParams?: Record<string, string>;
  /** The browser; a new one when omitted. Reuse it to share the OP session (SSO). */
  agent?: HttpAgent;
}

export interface LoginResult {
  accessToken: string;
  idToken: string;
  refreshToken?: string;
  /** The ID token's `sid` (equal to the access token's and the logout token's `sid`). */
  sid: string;
  sub: string;
  agent: HttpAgent;
  /** The token endpoint's whole JSON response. */
  tokenResponse: Record<string, unknown>;
}

export interface AuthorizeOptions {
  agent: HttpAgent;
  /** An authorization request URL, e.g. the Location the RP under test redirected to. */
  url: string;
  username?: string;
  password?: string;
}

export interface EndSessionOptions {
  agent: HttpAgent;
  idTokenHint?: string;
  clientId?: string;
  postLogoutRedirectUri?: string;
  state?: string;
}

export interface TestOp extends KeycloakLikeOp {
  /** Authorization Code + PKCE login without a browser, ending with the code exchange. */
  login(opts: LoginOptions): Promise<LoginResult>;
  /**
   * Drives an authorization request through the OP (login form when needed, consent is
   * automatic) until the OP redirects off its own origin; returns that redirect (the RP's
   * callback URL with `code` and `state`, or an error). For flows started by the RP under test.
   */
  authorize(opts: AuthorizeOptions): Promise<{ callbackUrl: string }>;
  /**
   * RP-initiated logout, confirmed with logout=yes so the OP calls every back-channel URI of the
   * session's clients. Resolves after those calls (the OP awaits them before redirecting).
   */
  endSession(opts: EndSessionOptions): Promise<{ location?: string }>;
}

const DEFAULT_SCOPE = 'openid profile email';

/** Starts the OP: realm `test` and a free port on 127.0.0.1 unless `options` say otherwise. */
export async function startTestOp(options: KeycloakLikeOpOptions): Promise<TestOp> {
  const op = await startKeycloakLikeOp({ realm: 'test', ...options });
  return { ...op, ...flowDrivers(op) };
}

/** What the flows need to know of an OP: where it is and its clients' settings. */
export type OpFlowTarget = Pick<KeycloakLikeOp, 'origin' | 'endpoints' | 'clientConfig'>;

/** The browserless flows against an OP of this process, or of another one (e.g. the demo's). */
export function flowDrivers(op: OpFlowTarget): Pick<TestOp, 'login' | 'authorize' | 'endSession'> {

  function isOffOp(location: string): boolean {
    return new URL(location).origin !== op.origin;
  }

  async function authorize({ agent, url, username, password }: AuthorizeOptions): Promise<{ callbackUrl: string }> {
    let response = await agent.request(url);
    let submitted = false;
    for (let hops = 0; hops < 20; hops += 1) {
      if (response.location) {
        if (isOffOp(response.location)) return { callbackUrl: response.location };
        response = await agent.request(response.location);
        continue;
      }
      const action = response.status === 200 ? loginFormAction(response.body) : undefined;
      if (action) {
        if (submitted) throw new Error(`login as ${username ?? '(nobody)'} failed at ${response.url}`);
        if (username === undefined || password === undefined) {
          throw new Error(`the OP asked for credentials at ${response.url} but none were given (no SSO session?)`);
        }
        submitted = true;
        response = await agent.request(action, { form: { username, password } });
        continue;
      }
      throw new Error(`unexpected OP response ${response.status} at ${response.url}: ${response.body.slice(0, 500)}`);
    }
    throw new Error(`too many hops in the authorization flow starting at ${url}`);
  }

  async function login(options: LoginOptions): Promise<LoginResult> {
    const client = op.clientConfig(options.clientId);
    if (!client) throw new Error(`unknown client ${options.clientId}`);
    const redirectUri = client.redirectUris[0];
    if (!redirectUri) throw new Error(`client ${client.clientId} has no redirect URI`);
    const agent = options.agent ?? createHttpAgent();

    const codeVerifier = randomBytes(32).toString('base64url');
    const state = randomBytes(16).toString('base64url');
    const nonce = randomBytes(16).toString('base64url');
    const authorizationUrl = new URL(op.endpoints.authorization);
    authorizationUrl.search = new URLSearchParams({
      client_id: client.clientId,
      response_type: 'code',
      scope: options.scope ?? DEFAULT_SCOPE,
      redirect_uri: redirectUri,
      state,
      nonce,
      code_challenge: createHash('sha256').update(codeVerifier).digest('base64url'),
      code_challenge_method: 'S256',
    }).toString();

    const { callbackUrl } = await authorize({
      agent,
      url: authorizationUrl.href,
      username: options.username,
      ...(options.password !== undefined ? { password: options.password } : {}),
    });
    const callback = new URL(callbackUrl);
    const code = callback.searchParams.get('code');
    if (!code || callback.searchParams.get('state') !== state) {
      throw new Error(`authorization failed: ${callbackUrl}`);
    }

    const form: Record<string, string> = {
      ...options.extraTokenParams,
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirectUri,
      code_verifier: codeVerifier,
    };
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
    if (client.clientSecret !== undefined) {
      // client_secret_basic: RFC 6749 §2.3.1 form-encodes both parts first.
      const basic = `${encodeURIComponent(client.clientId)}:${encodeURIComponent(client.clientSecret)}`;
      headers.authorization = `Basic ${Buffer.from(basic).toString('base64')}`;
    } else {
      form.client_id = client.clientId;
    }
    const response = await fetch(op.endpoints.token, { method: 'POST', headers, body: new URLSearchParams(form) });
    const tokenResponse = (await response.json()) as Record<string, unknown>;
    const { access_token: accessToken, id_token: idToken, refresh_token: refreshToken } = tokenResponse;
    if (!response.ok || typeof accessToken !== 'string' || typeof idToken !== 'string') {
      throw new Error(`token request failed (${response.status}): ${JSON.stringify(tokenResponse)}`);
    }
    const claims = decodeJwt(idToken);
    if (claims.nonce !== nonce) throw new Error('ID token nonce mismatch');
    if (typeof claims.sid !== 'string' || typeof claims.sub !== 'string') {
      throw new Error(`ID token without sid or sub: ${JSON.stringify(claims)}`);
    }
    return {
      accessToken,
      idToken,
      ...(typeof refreshToken === 'string' ? { refreshToken } : {}),
      sid: claims.sid,
      sub: claims.sub,
      agent,
      tokenResponse,
    };
  }

  async function endSession(options: EndSessionOptions): Promise<{ location?: string }> {
    const url = new URL(op.endpoints.end_session);
    if (options.idTokenHint !== undefined) url.searchParams.set('id_token_hint', options.idTokenHint);
    if (options.clientId !== undefined) url.searchParams.set('client_id', options.clientId);
    if (options.postLogoutRedirectUri !== undefined) {
      url.searchParams.set('post_logout_redirect_uri', options.postLogoutRedirectUri);
    }
    if (options.state !== undefined) url.searchParams.set('state', options.state);

    // The OP answers with a confirmation form (or an auto-submitting one without a session);
    // submit it the way the "Logout" button would.
    const prompt = await options.agent.request(url.href);
    const form = parseForm(prompt.body);
    if (prompt.status !== 200 || !form) {
      throw new Error(`unexpected end_session response ${prompt.status}: ${prompt.body.slice(0, 500)}`);
    }
    const done = await options.agent.request(new URL(form.action, prompt.url).href, {
      form: { ...form.fields, logout: 'yes' },
    });
    if (done.status !== 303) {
      throw new Error(`unexpected end_session confirm response ${done.status}: ${done.body.slice(0, 500)}`);
    }
    return done.location ? { location: done.location } : {};
  }

  return { login, authorize, endSession };
}

function loginFormAction(html: string): string | undefined {
  const match = /<form[^>]*id="kc-form-login"[^>]*action="([^"]+)"/.exec(html);
  return match?.[1] ? unescapeHtml(match[1]) : undefined;
}

function parseForm(html: string): { action: string; fields: Record<string, string> } | undefined {
  const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
  if (!action) return undefined;
  const fields: Record<string, string> = {};
  for (const match of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)) {
    const [, name, value] = match;
    if (name !== undefined && value !== undefined) fields[name] = unescapeHtml(value);
  }
  return { action: unescapeHtml(action), fields };
}

function unescapeHtml(value: string): string {
  return value
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}
