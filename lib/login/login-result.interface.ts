/** What the strategy's verify step hands to the login service after a successful callback. */
export interface LoginResult {
  /** The ID token's claims, after signature, issuer, audience, time and nonce checks. */
  claims: Record<string, unknown> & { sub: string; iat: number; sid?: string };
  idToken: string;
  accessToken?: string;
  refreshToken?: string;
  /** Seconds, from the token response. */
  expiresIn?: number;
  /** Where the login started wanted to go afterwards. */
  returnTo: string;
}
