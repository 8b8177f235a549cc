/**
 * The login strategy: passport-openidconnect (the design card's choice) run through
 * @nestjs/passport's PassportStrategy, with the gaps of passport-openidconnect 0.1.2 closed
 * here (docs/specs-and-dependencies.md §4.1, §4.3):
 * - PKCE S256 on every login: the challenge goes out through the documented
 *   `authorizationParams` hook, the verifier stays in the session and goes to the code exchange;
 * - `nonce: true`, and the state, nonce and verifier kept together, single-use and expiring
 *   (LoginTransactionStore);
 * - the code exchange is this module's own (node-oauth can only do client_secret_post): HTTP
 *   Basic or public `client_id`, `code_verifier`, and Keycloak's `client_session_state` /
 *   `client_session_host`;
 * - the ID token's signature is checked with jose (JwsVerifierService) in the verify step;
 * - endpoints come from the module's cached discovery, per request, so an OP that is down at
 *   bootstrap does not fail the app;
 * - `callbackArity` so that the verify step receives the raw ID token and refresh token.
 *
 * Imported lazily by LoginService, so the library loads without these optional peers.
 */
import { createHash, randomBytes } from 'node:crypto';
import { PassportStrategy } from '@nestjs/passport';
import passport from 'passport';
import OpenIDConnectStrategy from 'passport-openidconnect';
import { LoginFailedError } from '../errors/login-failed.error.js';
import { ProviderRejectedError } from '../errors/provider-rejected.error.js';
import { clientAuthentication } from '../oidc/client-authentication.js';
import { postToProvider } from '../oidc/provider-request.js';
import type { ProviderFetch } from '../telemetry/provider-request-telemetry.js';
import type { ResolvedKeycloakLogoutOptions } from '../options/keycloak-logout-options.interface.js';
import type { OidcProviderMetadata } from '../oidc/oidc-metadata.interface.js';
import type { LoginResult } from './login-result.interface.js';
import { LOGIN_TTL_MS, LoginTransactionStore, type LoginAppState, type LoginTransaction } from './login-transaction.store.js';
import { sessionIdOf, type SessionRequest } from '../session/session-access.js';

export const STRATEGY_NAME = 'keycloak-logout-oidc';

const MAX_PARAMETER_LENGTH = 4_096;

/**
 * Strategies register with a passport instance of their own: the app's global passport (and
 * its strategy names) stay untouched, and several apps in one process do not collide.
 */
const privatePassport = new passport.Passport();

type AuthenticateRequest = Parameters<OpenIDConnectStrategy['authenticate']>[0];
type AuthenticateOptions = OpenIDConnectStrategy.AuthenticateOptions & { state?: LoginAppState };

/** The token endpoint's answer as passport-openidconnect's node-oauth callback expects it. */
type TokenCallback = (error: unknown, accessToken?: string, refreshToken?: string, results?: Record<string, unknown>) => void;

export interface KeycloakOidcStrategyDependencies {
  options: ResolvedKeycloakLogoutOptions;
  metadata(): Promise<OidcProviderMetadata>;
  /** Verifies the ID token (signature with the realm keys, iss, aud, time claims) and its nonce. */
  verifyIdToken(idToken: string, nonce: string): Promise<LoginResult['claims']>;
  /** How the code exchange reaches the token endpoint (measured by the module); default global fetch. */
  tokenFetch?: ProviderFetch;
}

/** Query parameters of a callback, each at most once and bounded, or a refusal. */
function singleQueryValues(request: SessionRequest): string | undefined {
  const query = (request.query ?? {}) as Record<string, unknown>;
  for (const name of ['code', 'state', 'error', 'error_description', 'iss']) {
    const value = query[name];
    if (value === undefined) continue;
    if (typeof value !== 'string') return `"${name}" must be given once, as a string`;
    if (value.length > MAX_PARAMETER_LENGTH) return `"${name}" is too long`;
  }
  return undefined;
}

/** The part of node-oauth's OAuth2 client that passport-openidconnect calls. */
interface TokenExchangeClient {
  _authorizeUrl: string;
  _accessTokenUrl: string;
  _clientId: string;
  getOAuthAccessToken(code: string, params: Record<string, string>, callback: TokenCallback): void;
}

export class KeycloakOidcStrategy extends PassportStrategy(OpenIDConnectStrategy, STRATEGY_NAME, 9) {

  /** The transaction each callback request was verified against (set by the store, read by the exchange and verify step). */
  private readonly verified = new WeakMap<object, LoginTransaction>();

  constructor(private readonly dependencies: KeycloakOidcStrategyDependencies) {
    const { options } = dependencies;
    const placeholder = `${options.issuer}/.well-known/openid-configuration`;
    const store = new LoginTransactionStore(LOGIN_TTL_MS);
    super({
      issuer: options.issuer,
      // Replaced per request by the discovered endpoints (see authenticate).
      authorizationURL: placeholder,
      tokenURL: placeholder,
      userInfoURL: '',
      clientID: options.clientId,
      // Unused: the code exchange below authenticates the client itself.
      clientSecret: '',
      callbackURL: options.redirectUri as string,
      // passport-openidconnect prefixes "openid" itself.
      scope: options.scopes.filter((scope) => scope !== 'openid'),
      // passport-openidconnect sends a nonce for any truthy `nonce` (lib/strategy.js); its typings want a string.
      nonce: 'true',
      store,
      passReqToCallback: true,
      skipUserProfile: true,
    });
    store.onVerified = (request, transaction) => this.verified.set(request, transaction);
  }

  // Declared by @nestjs/passport's mixin at run time but not in its type.
  getPassportInstance(): passport.Authenticator {
    return privatePassport;
  }

  /**
   * Runs once per request on passport's per-request copy of the strategy: sets this request's
   * endpoints and code exchange, then lets passport-openidconnect do the rest.
   */
  override authenticate(request: AuthenticateRequest, options: AuthenticateOptions = {}): void {
    // The framework's request (Express or Fastify), seen through the parts the login flow reads.
    const req: object = request;
    this.authenticateRequest(req as SessionRequest, request, options);
  }

  private authenticateRequest(req: SessionRequest, request: AuthenticateRequest, options: AuthenticateOptions): void {
    const problem = singleQueryValues(req);
    if (problem !== undefined) return this.error(new LoginFailedError('callback_invalid', `the login callback is malformed: ${problem}`));
    const query = (req.query ?? {}) as Record<string, string | undefined>;
    // RFC 9207: an authorization response naming another issuer is a mix-up attack.
    if (query.iss !== undefined && query.iss !== this.dependencies.options.issuer) {
      return this.error(new LoginFailedError('callback_invalid', 'the authorization response was issued by another OP ("iss" does not match the issuer)'));
    }
    this.dependencies.metadata().then(
      (metadata) => {
        if (typeof metadata.authorization_endpoint !== 'string' || typeof metadata.token_endpoint !== 'string') {
          return this.error(new LoginFailedError('op_misbehaved', 'the OP\'s discovery document lacks authorization_endpoint or token_endpoint'));
        }
        // passport-openidconnect 0.1.2 has no hook for token-request parameters (PKCE verifier,
        // client_session_state) or for client authentication; the extension point its source
        // (lib/strategy.js) names for subclasses is the protected `_oauth2` client, which is
        // replaced here, per request, by one of the same shape. Its typings declare it as a full
        // node-oauth OAuth2, which this client is not, hence the reflective set.
        Reflect.set(this, '_oauth2', this.exchangeClient(req, metadata.authorization_endpoint, metadata.token_endpoint));
        super.authenticate(request, options);
      },
      (error: unknown) => this.error(error instanceof Error ? error : new Error(String(error))),
    );
  }

  /** PKCE (RFC 7636 §4.2): only the S256 challenge of the verifier goes to the OP. */
  override authorizationParams(options: AuthenticateOptions): object {
    const verifier = options.state?.codeVerifier;
    if (typeof verifier !== 'string') throw new Error('login started without a PKCE verifier');
    return { code_challenge: createHash('sha256').update(verifier).digest('base64url'), code_challenge_method: 'S256' };
  }

  /** Arity 9 with passReqToCallback: (req, iss, profile, context, idToken, accessToken, refreshToken, params). */
  async validate(
    request: SessionRequest,
    _issuer: string,
    _profile: unknown,
    _context: unknown,
    idToken: unknown,
    accessToken: unknown,
    refreshToken: unknown,
    params: Record<string, unknown>,
  ): Promise<LoginResult> {
    const transaction = this.verified.get(request);
    if (!transaction) throw new LoginFailedError('internal', 'no verified login state for this callback');
    if (typeof idToken !== 'string') throw new LoginFailedError('op_misbehaved', 'the token response has no ID token');
    const claims = await this.dependencies.verifyIdToken(idToken, transaction.nonce);
    const expiresIn = params.expires_in;
    return {
      claims,
      idToken,
      ...(typeof accessToken === 'string' && accessToken !== '' ? { accessToken } : {}),
      ...(typeof refreshToken === 'string' && refreshToken !== '' ? { refreshToken } : {}),
      ...(typeof expiresIn === 'number' && Number.isFinite(expiresIn) ? { expiresIn } : {}),
      returnTo: transaction.returnTo,
    };
  }

  /** Builds the PKCE verifier a login starts with (RFC 7636 §4.1: 43-128 characters). */
  static newCodeVerifier(): string {
    return randomBytes(32).toString('base64url');
  }

  /**
   * The part of node-oauth's OAuth2 that passport-openidconnect uses, for one request: the
   * discovered endpoints, and a code exchange that authenticates the client the way Keycloak
   * wants and adds `code_verifier` and `client_session_state`.
   */
  private exchangeClient(request: SessionRequest, authorizationUrl: string, tokenUrl: string): TokenExchangeClient {
    const { options } = this.dependencies;
    return {
      _authorizeUrl: authorizationUrl,
      _accessTokenUrl: tokenUrl,
      _clientId: options.clientId,
      getOAuthAccessToken: (code: string, params: Record<string, string>, callback: TokenCallback) => {
        const transaction = this.verified.get(request);
        if (!transaction) return callback(new LoginFailedError('internal', 'no verified login state for this callback'));
        const auth = clientAuthentication(options);
        // Read after the store regenerated the session: the id the app keeps (docs/keycloak-protocol.md §3).
        const sessionId = sessionIdOf(request);
        const form: Record<string, string> = {
          ...auth.form,
          grant_type: 'authorization_code',
          code,
          redirect_uri: params.redirect_uri ?? (options.redirectUri as string),
          code_verifier: transaction.codeVerifier,
          ...(sessionId !== undefined ? { client_session_state: sessionId } : {}),
          ...(sessionId !== undefined && options.clientSessionHost !== undefined ? { client_session_host: options.clientSessionHost } : {}),
        };
        postToProvider({ endpoint: 'token', url: tokenUrl, form, headers: auth.headers, timeoutMs: options.jwks.timeout, grant: 'authorization code', fetch: this.dependencies.tokenFetch }).then(
          ({ json }) => {
            if (json === undefined || typeof json.access_token !== 'string') {
              return callback(new ProviderRejectedError({ endpoint: 'token', status: 200, description: 'the token response is not a JSON object with an access_token' }));
            }
            const refresh = typeof json.refresh_token === 'string' ? json.refresh_token : undefined;
            callback(null, json.access_token, refresh, json);
          },
          (error: unknown) => callback(error),
        );
      },
    };
  }
}
