import { Inject, Injectable, Logger } from '@nestjs/common';
import { LogoutFailedError } from '../errors/logout-failed.error.js';
import { RequestInvalidError } from '../errors/request-invalid.error.js';
import { KEYCLOAK_LOGOUT_OPTIONS } from '../keycloak-logout.constants.js';
import type { ResolvedKeycloakLogoutOptions } from '../options/keycloak-logout-options.interface.js';
import { OidcDiscoveryService } from '../oidc/oidc-discovery.service.js';
import type { OidcProviderMetadata } from '../oidc/oidc-metadata.interface.js';
import { clientAuthentication } from '../oidc/client-authentication.js';
import { postToProvider } from '../oidc/provider-request.js';
import { KeycloakLogoutTelemetry } from '../telemetry/keycloak-logout-telemetry.js';

/** RFC 7009 §2.1 `token_type_hint` values. */
export type TokenTypeHint = 'refresh_token' | 'access_token';

const MAX_TOKEN_LENGTH = 16_384;

function assertToken(token: unknown, kind: string): asserts token is string {
  if (typeof token !== 'string' || token === '' || token.length > MAX_TOKEN_LENGTH || /\s/.test(token)) {
    throw new RequestInvalidError(`${kind} must be a non-empty string without whitespace`);
  }
}

/**
 * Ends sessions at Keycloak from the server side, without a browser:
 * - `logoutWithRefreshToken`: Keycloak's token logout (POST of the refresh token to the
 *   end_session_endpoint, docs/keycloak-protocol.md §4.2). Keycloak ends the user session and sends
 *   back-channel logouts to the session's other clients.
 * - `revokeToken`: RFC 7009 revocation. Keycloak detaches this client's session (and removes the
 *   user session when no other client is in it) but sends no back-channel logouts (§4.3).
 *
 * The client authenticates with HTTP Basic when `clientSecret` is set, with `client_id` in the
 * form otherwise. Refusals become ClientAuthenticationError, TokenRejectedError or
 * ProviderRejectedError; 5xx and network failures ProviderUnavailableError. Neither call
 * revokes anything locally: the back-channel logout does, or call RevocationService yourself.
 */
@Injectable()
export class KeycloakSessionTerminator {
  private readonly logger = new Logger(KeycloakSessionTerminator.name);

  constructor(
    @Inject(KEYCLOAK_LOGOUT_OPTIONS) private readonly options: ResolvedKeycloakLogoutOptions,
    private readonly discovery: OidcDiscoveryService,
    private readonly telemetry: KeycloakLogoutTelemetry,
  ) {}

  /** Logs the refresh token's session out at Keycloak. Resolves on 204 (also when the session was already gone). */
  logoutWithRefreshToken(refreshToken: string): Promise<void> {
    return this.telemetry.logouts.handle('api', () => this.logoutAtProvider(refreshToken), 'logout_with_refresh_token');
  }

  private async logoutAtProvider(refreshToken: string): Promise<void> {
    assertToken(refreshToken, 'refresh token');
    const auth = clientAuthentication(this.options);
    await postToProvider({
      endpoint: 'logout',
      url: await this.endpoint('end_session_endpoint'),
      form: { ...auth.form, refresh_token: refreshToken },
      headers: auth.headers,
      timeoutMs: this.options.jwks.timeout,
      grant: 'refresh token',
      fetch: this.telemetry.provider.fetchFor('logout'),
    });
    this.logger.log('session logged out at the OP with its refresh token');
  }

  /** Revokes an access or refresh token (RFC 7009). The OP answers 200 even for an unknown token (§2.2). */
  revokeToken(token: string, tokenTypeHint?: TokenTypeHint): Promise<void> {
    return this.telemetry.logouts.handle('api', () => this.revokeAtProvider(token, tokenTypeHint), 'revoke_token');
  }

  private async revokeAtProvider(token: string, tokenTypeHint?: TokenTypeHint): Promise<void> {
    assertToken(token, 'token');
    if (tokenTypeHint !== undefined && tokenTypeHint !== 'refresh_token' && tokenTypeHint !== 'access_token') {
      throw new RequestInvalidError('token_type_hint must be "refresh_token" or "access_token"');
    }
    const auth = clientAuthentication(this.options);
    await postToProvider({
      endpoint: 'revocation',
      url: await this.endpoint('revocation_endpoint'),
      form: { ...auth.form, token, ...(tokenTypeHint ? { token_type_hint: tokenTypeHint } : {}) },
      headers: auth.headers,
      timeoutMs: this.options.jwks.timeout,
      grant: 'token',
      fetch: this.telemetry.provider.fetchFor('revocation'),
    });
  }

  private async endpoint(name: 'end_session_endpoint' | 'revocation_endpoint'): Promise<string> {
    const metadata: OidcProviderMetadata = await this.discovery.metadata();
    const url = metadata[name];
    if (typeof url !== 'string' || !/^https?:\/\//.test(url)) {
      throw new LogoutFailedError('op_misbehaved', `the OP's discovery document has no ${name}`);
    }
    return url;
  }
}
