import { Inject, Injectable } from '@nestjs/common';
import { createLocalJWKSet, createRemoteJWKSet, customFetch, errors, type JWTVerifyGetKey, type RemoteJWKSet } from 'jose';
import { KEYCLOAK_LOGOUT_OPTIONS } from '../keycloak-logout.constants.js';
import type { ResolvedKeycloakLogoutOptions } from '../options/keycloak-logout-options.interface.js';
import { OidcDiscoveryService } from '../oidc/oidc-discovery.service.js';
import { KeycloakLogoutTelemetry } from '../telemetry/keycloak-logout-telemetry.js';

/** With no keys at all yet, a failed JWKS request is retried after this pause (as discovery is). */
const NO_KEYS_RETRY_MS = 1_000;

/** The JWKS could not be fetched (network, timeout, non-200), as opposed to a token problem. */
function isFetchFailure(error: unknown): boolean {
  return error instanceof errors.JWKSTimeout || !(error instanceof errors.JOSEError) || error.code === 'ERR_JOSE_GENERIC';
}

/** A failed JWKS fetch: until `until`, nobody asks the OP again and the keys fetched last stay in use. */
interface JwksOutage {
  until: number;
  error: unknown;
  lastKeys: JWTVerifyGetKey | undefined;
}

/** What a health check reports of the realm keys. */
export interface SigningKeysAvailability {
  /** Keys in hand (from the last successful fetch). */
  keys: number;
  /** The last JWKS request failed and the OP is not asked again before the pause ends. */
  outage: boolean;
}

/**
 * The realm's public keys, from its JWKS. jose refetches the set when a token names an unknown
 * `kid` (key rotation), at most once per `jwks.cooldown`, so a flood of bogus kids cannot turn
 * into a flood of requests to the OP, even while the OP is down (see surviveOutages).
 */
@Injectable()
export class SigningKeysService {
  private keySet?: JWTVerifyGetKey;
  private remote?: RemoteJWKSet;
  private outage?: JwksOutage;

  constructor(
    @Inject(KEYCLOAK_LOGOUT_OPTIONS) private readonly options: ResolvedKeycloakLogoutOptions,
    private readonly discovery: OidcDiscoveryService,
    private readonly telemetry: KeycloakLogoutTelemetry,
  ) {}

  /** The key set once `getKeySet` has made it (after discovery), else undefined. */
  get keySetInHand(): JWTVerifyGetKey | undefined {
    return this.keySet;
  }

  async getKeySet(): Promise<JWTVerifyGetKey> {
    if (this.keySet) return this.keySet;
    const jwksUri = this.options.jwksUri ?? (await this.discovery.metadata()).jwks_uri;
    if (this.keySet) return this.keySet;
    this.remote = createRemoteJWKSet(new URL(jwksUri), {
      cooldownDuration: this.options.jwks.cooldown,
      cacheMaxAge: this.options.jwks.cacheMaxAge,
      timeoutDuration: this.options.jwks.timeout,
      [customFetch]: this.telemetry.provider.fetchFor('jwks'),
    });
    this.keySet = this.surviveOutages(this.remote);
    return this.keySet;
  }

  /**
   * For health checks: the keys in hand, and whether the OP's JWKS is in an outage. Asks the OP
   * only when no keys were ever fetched and no outage pause is running, so probes add no load.
   */
  async availability(): Promise<SigningKeysAvailability> {
    await this.getKeySet();
    const remote = this.remote as RemoteJWKSet;
    if (remote.jwks() === undefined && !this.pausedByOutage()) {
      try {
        await remote.reload();
        this.outage = undefined;
      } catch (error) {
        if (!isFetchFailure(error)) throw error;
        this.noteOutage(remote, error);
      }
    }
    return { keys: remote.jwks()?.keys.length ?? 0, outage: this.pausedByOutage() };
  }

  private pausedByOutage(): boolean {
    return this.outage !== undefined && Date.now() < this.outage.until;
  }

  /** Starts the pause after a failed fetch (see surviveOutages). */
  private noteOutage(remote: RemoteJWKSet, error: unknown): JwksOutage {
    // jose keeps the set it fetched last when a refetch fails.
    const jwks = remote.jwks();
    const lastKeys = jwks === undefined ? undefined : createLocalJWKSet(jwks);
    const pause = lastKeys === undefined ? Math.min(this.options.jwks.cooldown, NO_KEYS_RETRY_MS) : this.options.jwks.cooldown;
    this.outage = { until: Date.now() + pause, error, lastKeys };
    return this.outage;
  }

  /**
   * jose measures its cooldown from the last *successful* fetch, and once its keys are older
   * than `cacheMaxAge` it refetches before every verification. So while the OP is down or
   * hanging, every request (with an unknown kid, or any request once the cache has aged) would
   * ask the OP again, wait up to `jwks.timeout`, and fail with 503, even for keys already in
   * hand. Here a failed fetch starts a pause of `jwks.cooldown` during which nobody asks the OP
   * again, and the keys fetched last stay in use: tokens signed with them still verify; a token
   * needing a key not in hand fails at once with the fetch error (503).
   */
  private surviveOutages(remote: RemoteJWKSet): JWTVerifyGetKey {
    const fromLastKeys = async (state: JwksOutage, ...args: Parameters<JWTVerifyGetKey>) => {
      if (state.lastKeys === undefined) throw state.error;
      try {
        return await state.lastKeys(...args);
      } catch (cause) {
        // The key may exist at the OP: undecided, so the fetch error (503), not "unknown key" (401).
        throw cause instanceof errors.JWKSNoMatchingKey ? state.error : cause;
      }
    };
    return async (...args) => {
      if (this.outage !== undefined && this.pausedByOutage()) return fromLastKeys(this.outage, ...args);
      try {
        const key = await remote(...args);
        this.outage = undefined;
        return key;
      } catch (error) {
        if (!isFetchFailure(error)) throw error;
        return fromLastKeys(this.noteOutage(remote, error), ...args);
      }
    };
  }
}
