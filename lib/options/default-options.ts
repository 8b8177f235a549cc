/** Defaults for every optional module option; the README's options table mirrors this file. */
export const DEFAULT_OPTIONS = {
  algorithms: ['RS256'],
  clockTolerance: 5,
  jwks: { cooldown: 30_000, cacheMaxAge: 600_000, timeout: 5_000 },
  logoutToken: { types: ['logout+jwt', 'JWT'], allowUntyped: true, requireExp: true, maxAge: 300 },
  bearerCacheSize: 10_000,
  bearerCacheMaxAge: 600_000,
  sessionProperty: 'keycloak',
  revocationTtl: 36_000,
  maxSessionsPerUser: 1_000,
  failurePolicy: 'refuse',
  maxBodyBytes: 16_384,
  routePrefix: 'auth',
  routes: { backchannelLogout: true, keycloakAdmin: true, login: false, logout: false, frontchannelLogout: false },
  scopes: ['openid', 'profile', 'email'],
  defaultReturnTo: '/',
} as const;

/**
 * Asymmetric JWS algorithms a Keycloak realm can sign with. Symmetric (HS*) and `none` are never
 * accepted: the verifier only knows the realm's public keys.
 */
export const SUPPORTED_ALGORITHMS = [
  'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519',
] as const;
