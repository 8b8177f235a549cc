/**
 * - `up`: working;
 * - `degraded`: still serving, impaired (the JWKS unreachable but keys in hand; the shared log
 *   reconnecting but the view not yet stale; a stale view under `failurePolicy: 'allow'`);
 * - `down`: requests that need it are refused; also a shared log never yet read to its end
 *   (catching up at start), under either failure policy: not ready.
 */
export type KeycloakLogoutHealthStatus = 'up' | 'degraded' | 'down';

/**
 * What `KeycloakLogoutHealth.check()` reports. No URL, host, token or session id: health
 * endpoints are often reachable by more people than logs are. Failures are reason codes.
 */
export interface KeycloakLogoutHealthReport {
  /** The worst of the three parts. */
  status: KeycloakLogoutHealthStatus;
  /** The OP's discovery document: loaded (and cached), or not obtainable now (degraded with a configured `jwksUri`). */
  discovery: { status: KeycloakLogoutHealthStatus; error?: string };
  /** The realm's signing keys: how many are in hand, and whether the JWKS endpoint is in an outage. */
  jwks: { status: KeycloakLogoutHealthStatus; keys: number; outage: boolean; error?: string };
  /**
   * With the `realms` option: each further realm's signing keys, by realm name (its discovery is
   * part of it: keys cannot be fetched without it). A realm that is down makes the whole report
   * degraded, not down: the other realms' tokens are still served.
   */
  realms?: Record<string, { status: KeycloakLogoutHealthStatus; keys: number; outage: boolean; error?: string }>;
  /** This instance's revocation view, and the shared log behind it when there is one (Redis). */
  revocationView: {
    status: KeycloakLogoutHealthStatus;
    stale: boolean;
    detail: string;
    sharedLog?: { state: string; connected: boolean; lagMs: number | null; unsharedRevocations: number };
  };
}
