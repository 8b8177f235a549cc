import { Inject, Injectable, Logger } from '@nestjs/common';
import { ProviderUnavailableError } from '../errors/provider-unavailable.error.js';
import { KEYCLOAK_LOGOUT_OPTIONS } from '../keycloak-logout.constants.js';
import type { ResolvedKeycloakLogoutOptions } from '../options/keycloak-logout-options.interface.js';
import { KeycloakLogoutTelemetry } from '../telemetry/keycloak-logout-telemetry.js';
import type { OidcProviderMetadata } from './oidc-metadata.interface.js';

/** After a failed fetch, callers get the same error for this long instead of a new request each. */
const RETRY_DELAY_MS = 1_000;

/**
 * Fetches `{issuer}/.well-known/openid-configuration` once and caches it for the process.
 * A failure is not cached beyond a short retry delay, so an OP that was down at startup is
 * picked up as soon as it answers.
 */
@Injectable()
export class OidcDiscoveryService {
  private readonly logger = new Logger(OidcDiscoveryService.name);
  private pending?: Promise<OidcProviderMetadata>;
  private lastFailure?: { at: number; error: ProviderUnavailableError };

  constructor(
    @Inject(KEYCLOAK_LOGOUT_OPTIONS) private readonly options: ResolvedKeycloakLogoutOptions,
    private readonly telemetry: KeycloakLogoutTelemetry,
  ) {}

  get discoveryUrl(): string {
    return `${this.options.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
  }

  metadata(): Promise<OidcProviderMetadata> {
    if (this.pending) return this.pending;
    if (this.lastFailure && Date.now() - this.lastFailure.at < RETRY_DELAY_MS) {
      return Promise.reject(this.lastFailure.error);
    }
    this.pending = this.fetchMetadata().catch((cause: unknown) => {
      const error = cause instanceof ProviderUnavailableError
        ? cause
        : new ProviderUnavailableError(`OpenID discovery at ${this.discoveryUrl} failed`, { cause });
      this.lastFailure = { at: Date.now(), error };
      this.pending = undefined;
      this.logger.warn(`${error.message}${cause instanceof Error && cause !== error ? `: ${cause.message}` : ''}`);
      throw error;
    });
    return this.pending;
  }

  private async fetchMetadata(): Promise<OidcProviderMetadata> {
    const response = await this.telemetry.provider.fetchFor('discovery')(this.discoveryUrl, {
      headers: { accept: 'application/json' },
      redirect: 'error',
      signal: AbortSignal.timeout(this.options.jwks.timeout),
    });
    if (response.status !== 200) {
      throw new ProviderUnavailableError(`OpenID discovery at ${this.discoveryUrl} answered HTTP ${response.status}`);
    }
    const body: unknown = await response.json();
    if (typeof body !== 'object' || body === null) {
      throw new ProviderUnavailableError(`OpenID discovery at ${this.discoveryUrl} did not return a JSON object`);
    }
    const metadata = body as Partial<OidcProviderMetadata>;
    // OpenID Connect Discovery 1.0 §4.3: the issuer in the document must equal the one configured.
    if (metadata.issuer !== this.options.issuer) {
      throw new ProviderUnavailableError(
        `OpenID discovery issuer ${JSON.stringify(metadata.issuer)} does not match the configured issuer ${JSON.stringify(this.options.issuer)}`,
      );
    }
    if (typeof metadata.jwks_uri !== 'string' && this.options.jwksUri === undefined) {
      throw new ProviderUnavailableError('OpenID discovery document has no jwks_uri');
    }
    return metadata as OidcProviderMetadata;
  }
}
