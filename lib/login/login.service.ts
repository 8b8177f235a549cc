import { randomBytes, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { KeycloakLogoutConfigError } from '../errors/keycloak-logout-config.error.js';
import { KeycloakLogoutError } from '../errors/keycloak-logout.error.js';
import { LoginFailedError } from '../errors/login-failed.error.js';
import { RequestInvalidError } from '../errors/request-invalid.error.js';
import { TokenInvalidError } from '../errors/token-invalid.error.js';
import { KEYCLOAK_LOGOUT_OPTIONS } from '../keycloak-logout.constants.js';
import type { ResolvedKeycloakLogoutOptions } from '../options/keycloak-logout-options.interface.js';
import { normalizeMediaType } from '../options/resolve-options.js';
import { JwsVerifierService } from '../oidc/jws-verifier.service.js';
import { OidcDiscoveryService } from '../oidc/oidc-discovery.service.js';
import type { OidcProviderMetadata } from '../oidc/oidc-metadata.interface.js';
import { SessionRegistry } from '../registry/session-registry.js';
import { SessionStoreAccess } from '../session/session-store-access.service.js';
import { fingerprint } from '../utils/fingerprint.js';
import { printable } from '../utils/printable.js';
import type { KeycloakLoginRecord } from './keycloak-login-record.interface.js';
import type { LoginResult } from './login-result.interface.js';
import { LOGIN_TTL_MS, type LoginChallenge } from './login-transaction.store.js';
import { normalizeReturnTo, returnToProblem } from './return-to.js';
import { limitSessionLifetime, requireSession, saveSession, sessionIdOf, type RequestWithSessionStore } from './session-access.js';
import { runStrategy, type StrategyOutcome } from './strategy-runner.js';

/** Oldest acceptable ID token at the callback, in seconds: it was minted by the code exchange just now. */
const MAX_ID_TOKEN_AGE = 300;
const MAX_ID_LENGTH = 512;

/** The lazily imported strategy module, described structurally so no optional peer's types leak from here. */
interface StrategyModule {
  KeycloakOidcStrategy: {
    new (dependencies: {
      options: ResolvedKeycloakLogoutOptions;
      metadata(): Promise<OidcProviderMetadata>;
      verifyIdToken(idToken: string, nonce: string): Promise<LoginResult['claims']>;
    }): LoginStrategy;
    newCodeVerifier(): string;
  };
}

interface LoginStrategy {
  authenticate(request: never, options: never): unknown;
}

function sameSecret(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

function queryOf(request: RequestWithSessionStore): Record<string, unknown> {
  return typeof request.query === 'object' && request.query !== null ? (request.query as Record<string, unknown>) : {};
}

/** The OP's own text, bounded and without control characters, for an error message. */
const clean = (text: string) => printable(text);

/**
 * Browser login (Authorization Code + PKCE) into the app's server-side session:
 * `start` builds the authorization request, `complete` handles the callback, verifies the ID
 * token, regenerates the session, registers it in the SessionRegistry under its `sid` and its
 * session id (which was sent as `client_session_state`), and writes the login record.
 */
@Injectable()
export class LoginService implements OnModuleInit {
  private readonly logger = new Logger(LoginService.name);
  private strategyModule?: StrategyModule;
  private strategy?: LoginStrategy;

  constructor(
    @Inject(KEYCLOAK_LOGOUT_OPTIONS) private readonly options: ResolvedKeycloakLogoutOptions,
    private readonly discovery: OidcDiscoveryService,
    private readonly jws: JwsVerifierService,
    private readonly registry: SessionRegistry,
    private readonly stores: SessionStoreAccess,
  ) {}

  /** Loads the optional passport packages only when the login routes are on; a missing one fails the bootstrap. */
  async onModuleInit(): Promise<void> {
    if (!this.options.routes.login) return;
    try {
      // Typed by the structural StrategyModule so that no optional peer's types reach this file's declarations.
      const strategyModule: StrategyModule = await import('./keycloak-oidc.strategy.js');
      this.strategyModule = strategyModule;
    } catch (cause) {
      throw new KeycloakLogoutConfigError(
        'routes.login',
        `needs the optional peer dependencies @nestjs/passport, passport and passport-openidconnect (and express-session): ${cause instanceof Error ? cause.message : String(cause)}`,
      );
    }
    this.strategy = new this.strategyModule.KeycloakOidcStrategy({
      options: this.options,
      metadata: () => this.discovery.metadata(),
      verifyIdToken: (idToken, nonce) => this.verifyIdToken(idToken, nonce),
    });
  }

  /** `GET {prefix}/login`: the authorization request URL to redirect the browser to. */
  async start(request: RequestWithSessionStore): Promise<string> {
    const { strategy, strategyModule } = this.ready();
    requireSession(request);
    const query = queryOf(request);
    for (const name of ['code', 'state', 'error']) {
      if (query[name] !== undefined) throw new RequestInvalidError(`the login route does not take "${name}": the OP answers at the callback route`);
    }
    const returnTo = this.returnTo(query.returnTo);
    const signedIn = requireSession(request)[this.options.sessionProperty] !== undefined;
    const outcome = await runStrategy(strategy, request, { state: { codeVerifier: strategyModule.KeycloakOidcStrategy.newCodeVerifier(), returnTo } });
    if (outcome.kind !== 'redirect') throw this.failure(outcome);
    // A session that only waits for a callback must not outlive the login it waits for.
    if (!signedIn) limitSessionLifetime(requireSession(request), LOGIN_TTL_MS);
    return outcome.url;
  }

  /** `GET {prefix}/callback`: completes the login and returns where to send the browser. */
  async complete(request: RequestWithSessionStore): Promise<string> {
    const { strategy } = this.ready();
    requireSession(request);
    const query = queryOf(request);
    if (query.code === undefined && query.error === undefined) {
      throw new LoginFailedError('the login callback has neither "code" nor "error"; start at the login route');
    }
    this.stores.learnFrom(request);
    const outcome = await runStrategy(strategy, request, {});
    if (outcome.kind !== 'success') throw this.failure(outcome);
    const result = outcome.user as LoginResult;
    await this.establish(request, result);
    return result.returnTo;
  }

  /** A `returnTo` from a request: a same-origin path, or the configured default. */
  returnTo(value: unknown): string {
    if (value === undefined || value === '') return this.options.defaultReturnTo;
    const problem = returnToProblem(value);
    if (problem !== undefined) throw new RequestInvalidError(`"returnTo" ${problem}`);
    return normalizeReturnTo(value as string);
  }

  /**
   * The ID token check the strategy's verify step calls: realm signature with the pinned
   * algorithms, `iss`, `aud` = clientId, `exp`, fresh `iat` (JwsVerifierService), then what
   * OIDC Core §3.1.3.7 adds: `azp`, `nonce` equal to the one this login sent, and no other
   * token type passed off as an ID token.
   */
  async verifyIdToken(idToken: string, nonce: string): Promise<LoginResult['claims']> {
    const invalid = (reason: string) => new TokenInvalidError(reason, { error: 'invalid_token', status: 401 });
    const { payload, header } = await this.jws.verifyJwt(idToken, {
      kind: 'ID token',
      audience: this.options.clientId,
      requiredClaims: ['iat', 'exp', 'sub'],
      maxTokenAge: MAX_ID_TOKEN_AGE,
      status: 401,
      error: 'invalid_token',
    });
    if (header.typ !== undefined && normalizeMediaType(header.typ) !== 'jwt') throw invalid('ID token "typ" header is not JWT');
    // Keycloak marks its tokens: ID tokens "ID", access tokens "Bearer", logout tokens "Logout".
    if (payload.typ !== undefined && payload.typ !== 'ID') throw invalid('token "typ" claim is not "ID": not an ID token');
    if (payload.events !== undefined) throw invalid('a logout token is not an ID token');
    if (typeof payload.nonce !== 'string' || !sameSecret(payload.nonce, nonce)) throw invalid('ID token "nonce" does not match the login started in this browser');
    if (Array.isArray(payload.aud) && payload.aud.length > 1 && payload.azp === undefined) throw invalid('ID token has several audiences but no "azp"');
    if (payload.azp !== undefined && payload.azp !== this.options.clientId) throw invalid('ID token "azp" is not this client');
    if (typeof payload.sub !== 'string' || payload.sub === '' || payload.sub.length > MAX_ID_LENGTH) throw invalid('ID token "sub" must be a non-empty string');
    if (payload.sid !== undefined && (typeof payload.sid !== 'string' || payload.sid === '' || payload.sid.length > MAX_ID_LENGTH)) {
      throw invalid('ID token "sid" must be a non-empty string');
    }
    return payload as LoginResult['claims'];
  }

  private ready(): { strategy: LoginStrategy; strategyModule: StrategyModule } {
    if (!this.strategy || !this.strategyModule) {
      throw new LoginFailedError('the login routes are not enabled (routes.login)', { status: 500, error: 'server_error' });
    }
    return { strategy: this.strategy, strategyModule: this.strategyModule };
  }

  /** Registers the login and writes the login record into the (already regenerated) session. */
  private async establish(request: RequestWithSessionStore, result: LoginResult): Promise<void> {
    const session = requireSession(request);
    const sessionId = sessionIdOf(request);
    if (sessionId === undefined) throw new LoginFailedError('the session has no id', { status: 500, error: 'server_error' });
    const { claims } = result;
    const now = Math.floor(Date.now() / 1000);
    // Registered before the record is written: a session the registry does not know must not be signed in.
    await this.registry.register({
      adapterSessionId: sessionId,
      ...(claims.sid !== undefined ? { sid: claims.sid } : {}),
      sub: claims.sub,
      clientId: this.options.clientId,
      issuedAt: claims.iat,
      expiresAt: claims.iat + this.options.sessionTtl,
    });
    const record: KeycloakLoginRecord = {
      sub: claims.sub,
      ...(claims.sid !== undefined ? { sid: claims.sid } : {}),
      issuedAt: claims.iat,
      clientId: this.options.clientId,
      claims,
      idToken: result.idToken,
      ...(result.accessToken !== undefined ? { accessToken: result.accessToken } : {}),
      ...(result.expiresIn !== undefined ? { accessTokenExpiresAt: now + result.expiresIn } : {}),
      ...(result.refreshToken !== undefined ? { refreshToken: result.refreshToken } : {}),
      logoutCsrfToken: randomBytes(32).toString('base64url'),
    };
    session[this.options.sessionProperty] = record;
    // The session guard refuses it after maxSessionAge; the store need not keep it longer.
    limitSessionLifetime(session, this.options.maxSessionAge * 1000);
    await saveSession(request);
    this.logger.log(
      `login: sub ${fingerprint(claims.sub)}${claims.sid !== undefined ? `, sid ${fingerprint(claims.sid)}` : ''}, session ${fingerprint(sessionId)}`,
    );
  }

  /** A strategy outcome other than the expected one, as a library error with a clear description. */
  private failure(outcome: StrategyOutcome): KeycloakLogoutError {
    switch (outcome.kind) {
      case 'error':
        return this.fromError(outcome.error);
      case 'fail': {
        const challenge = (outcome.challenge ?? {}) as Partial<LoginChallenge>;
        const message = typeof challenge.message === 'string' && challenge.message !== '' ? clean(challenge.message) : 'login refused';
        if (challenge.error !== undefined) return new LoginFailedError(message, { error: challenge.error, status: challenge.status ?? 400 });
        // passport-openidconnect's own refusals: the ID token's claims, or access_denied from the OP.
        if (message.startsWith('ID token')) return new LoginFailedError(message, { error: 'invalid_token', status: 401 });
        return new LoginFailedError(`the OP denied the login: ${message}`, { error: 'access_denied', status: 403 });
      }
      case 'redirect':
        return new LoginFailedError('the login callback was answered with a new authorization request', { status: 500, error: 'server_error' });
      case 'success':
      case 'pass':
        return new LoginFailedError('the login did not complete', { status: 500, error: 'server_error' });
    }
  }

  private fromError(error: unknown): KeycloakLogoutError {
    if (error instanceof KeycloakLogoutError) return error;
    if (error instanceof Error) {
      // passport-openidconnect wraps whatever the code exchange reported in InternalOAuthError.
      const wrapped = (error as { oauthError?: unknown }).oauthError;
      if (wrapped instanceof KeycloakLogoutError) return wrapped;
      if (error.name === 'AuthorizationError') {
        const code = (error as { code?: unknown }).code;
        const oauthCode = typeof code === 'string' && /^[\x21-\x7e]{1,64}$/.test(code) ? code : 'server_error';
        return new LoginFailedError(`the OP answered the authorization request with ${oauthCode}${error.message ? `: ${clean(error.message)}` : ''}`, { error: oauthCode, status: 400 });
      }
    }
    this.logger.error(`login failed unexpectedly: ${error instanceof Error ? error.message : String(error)}`);
    return new LoginFailedError('the login failed unexpectedly', { status: 500, error: 'server_error', cause: error });
  }
}
