import { KeycloakLogoutReasonedError } from './keycloak-logout.error.js';

/**
 * Why a token failed: `signature` (its authenticity is not established: bad signature, key the
 * realm does not publish, algorithm not allowed, not a compact JWS), `expired`, or `claims`
 * (signed, but a claim, its type or its audience is wrong).
 */
export type TokenInvalidReason = 'signature' | 'expired' | 'claims';

/** A token (logout token, access token, ID token, admin action) failed a validation rule. */
export class TokenInvalidError extends KeycloakLogoutReasonedError<TokenInvalidReason> {
  readonly code = 'ERR_KEYCLOAK_LOGOUT_TOKEN_INVALID';
}
