import { randomBytes } from 'node:crypto';
import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { KeycloakLogoutConfigError } from '../errors/keycloak-logout-config.error.js';
import { KeycloakLogoutError } from '../errors/keycloak-logout.error.js';
import { LoginFailedError } from '../errors/login-failed.error.js';
import { RequestInvalidError } from '../errors/request-invalid.error.js';
import { KEYCLOAK_LOGOUT_OPTIONS } from '../keycloak-logout.constants.js';
import type { ResolvedKeycloakLogoutOptions } from '../options/keycloak-logout-options.interface.js';
import { IdTokenVerifierService } from '../tokens/id-token-verifier.service.js';
import { OidcDiscoveryService } from '../oidc/oidc-discovery.service.js';
import type { OidcProviderMetadata } from '../oidc/oidc-metadata.interface.js';
import { SessionRegistry } from '../registry/session-registry.js';
import { SessionStoreAccess } from '../session/session-store-access.service.js';
import { fingerprint } from '../utils/fingerprint.js';
import { printable } from '../utils/printable.js';
import type { KeycloakLoginRecord } from '../session/keycloak-login-record.interface.js';
import type { LoginResult } from './login-result.interface.js';
import { LOGIN_TTL_MS, type LoginChallenge } from './login-transaction.store.js';
import { resolveReturnTo } from '../session/return-to.js';
import { limitSessionLifetime, requireSession, saveSession, sessionIdOf, type SessionRequest } from '../session/session-access.js';
import { KeycloakLogoutTelemetry } from '../telemetry/keycloak-logout-telemetry.js';
import type { ProviderFetch } from '../telemetry/provider-request-telemetry.js';
import { runStrategy, type StrategyOutcome } from './strategy-runner.js';


/** The lazily imported strategy module, described structurally so no optional peer's types leak from here. */
interface StrategyModule {
  KeycloakOidcStrategy: {
    new (dependencies: {
      options: ResolvedKeycloakLogoutOptions;
      metadata(): Promise<OidcProviderMetadata>;
      verifyIdToken(idToken: string, nonce: string): Promise<LoginResult['claims']>;
      tokenFetch?: ProviderFetch;
    }): LoginStrategy;
    newCodeVerifier(): string;
  };
}

interface LoginStrategy {
  authenticate(request: never, options: never): unknown;
}


function queryOf(request: SessionRequest): Record<string, unknown> {
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
    private readonly idTokens: IdTokenVerifierService,
    private readonly registry: SessionRegistry,
    private readonly stores: SessionStoreAccess,
    private readonly telemetry: KeycloakLogoutTelemetry,
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
      verifyIdToken: (idToken, nonce) => this.idTokens.verify(idToken, nonce),
      tokenFetch: this.telemetry.provider.fetchFor('token'),
    });
  }

  /** `GET {prefix}/login`: the authorization request URL to redirect the browser to. */
  async start(request: SessionRequest): Promise<string> {
    const { strategy, strategyModule } = this.ready();
    requireSession(request);
    const query = queryOf(request);
    for (const name of ['code', 'state', 'error']) {
      if (query[name] !== undefined) throw new RequestInvalidError(`the login route does not take "${name}": the OP answers at the callback route`);
    }
    const returnTo = resolveReturnTo(query.returnTo, this.options.defaultReturnTo);
    const signedIn = requireSession(request)[this.options.sessionProperty] !== undefined;
    const outcome = await runStrategy(strategy, request, { state: { codeVerifier: strategyModule.KeycloakOidcStrategy.newCodeVerifier(), returnTo } });
    if (outcome.kind !== 'redirect') throw this.failure(outcome);
    // A session that only waits for a callback must not outlive the login it waits for.
    if (!signedIn) limitSessionLifetime(requireSession(request), LOGIN_TTL_MS);
    return outcome.url;
  }

  /** `GET {prefix}/callback`: completes the login and returns where to send the browser. */
  async complete(request: SessionRequest): Promise<string> {
    const { strategy } = this.ready();
    requireSession(request);
    const query = queryOf(request);
    if (query.code === undefined && query.error === undefined) {
      throw new LoginFailedError('callback_invalid', 'the login callback has neither "code" nor "error"; start at the login route');
    }
    this.stores.learnFrom(request);
    const outcome = await runStrategy(strategy, request, {});
    if (outcome.kind !== 'success') throw this.failure(outcome);
    const result = outcome.user as LoginResult;
    await this.establish(request, result);
    return result.returnTo;
  }

  private ready(): { strategy: LoginStrategy; strategyModule: StrategyModule } {
    if (!this.strategy || !this.strategyModule) {
      throw new LoginFailedError('misconfigured', 'the login routes are not enabled (routes.login)');
    }
    return { strategy: this.strategy, strategyModule: this.strategyModule };
  }

  /** Registers the login and writes the login record into the (already regenerated) session. */
  private async establish(request: SessionRequest, result: LoginResult): Promise<void> {
    const session = requireSession(request);
    const sessionId = sessionIdOf(request);
    if (sessionId === undefined) throw new LoginFailedError('misconfigured', 'the session has no id');
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
        if (challenge.reason !== undefined) return new LoginFailedError(challenge.reason, message);
        // passport-openidconnect's own refusals: the ID token's claims, or access_denied from the OP.
        if (message.startsWith('ID token')) return new LoginFailedError('id_token_invalid', message);
        return new LoginFailedError('access_denied', `the OP denied the login: ${message}`);
      }
      case 'redirect':
        return new LoginFailedError('internal', 'the login callback was answered with a new authorization request');
      case 'success':
      case 'pass':
        return new LoginFailedError('internal', 'the login did not complete');
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
        return new LoginFailedError('op_error', `the OP answered the authorization request with ${oauthCode}${error.message ? `: ${clean(error.message)}` : ''}`, { opError: oauthCode });
      }
    }
    this.logger.error(`login failed unexpectedly: ${error instanceof Error ? error.message : String(error)}`);
    return new LoginFailedError('internal', 'the login failed unexpectedly', { cause: error });
  }
}
