/** The parts of the OP's discovery document (OpenID Connect Discovery 1.0 §3) this library uses. */
export interface OidcProviderMetadata {
  issuer: string;
  jwks_uri: string;
  authorization_endpoint?: string;
  token_endpoint?: string;
  end_session_endpoint?: string;
  revocation_endpoint?: string;
  userinfo_endpoint?: string;
  [key: string]: unknown;
}
