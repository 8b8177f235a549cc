import { KeycloakLogoutReasonedError } from './keycloak-logout.error.js';

/**
 * Why a token failed: `signature` (its authenticity is not established: bad signature, key the
 * realm does not publish, algorithm not allowed, not a compact JWS), `expired`, `claims`
 * (signed, but a claim, its type or its audience is wrong), or `unknown_issuer` (with several
 * realms configured: its `iss` names none of them, so no key may even be tried).
 */
export type TokenInvalidReason = 'signature' | 'expired' | 'claims' | 'unknown_issuer';

/** A token (logout token, access token, ID token, admin action) failed a validation rule. */
export class TokenInvalidError extends KeycloakLogoutReasonedError<TokenInvalidReason> {
  readonly code = 'ERR_KEYCLOAK_LOGOUT_TOKEN_INVALID';
}
