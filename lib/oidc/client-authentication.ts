import type { ResolvedKeycloakLogoutOptions } from '../options/keycloak-logout-options.interface.js';

/** application/x-www-form-urlencoded encoding of one value (RFC 6749 Appendix B). */
function formEncode(value: string): string {
  return new URLSearchParams({ v: value }).toString().slice(2);
}

/**
 * How this client authenticates at the OP's token, logout and revocation endpoints, as Keycloak
 * wants it (docs/keycloak-protocol.md §4.2): a confidential client sends HTTP Basic with the
 * form-encoded id and secret (RFC 6749 §2.3.1); a public client sends only `client_id` in the form.
 */
export function clientAuthentication(options: Pick<ResolvedKeycloakLogoutOptions, 'clientId' | 'clientSecret'>): {
  headers: Record<string, string>;
  form: Record<string, string>;
} {
  if (options.clientSecret === undefined) return { headers: {}, form: { client_id: options.clientId } };
  const credentials = `${formEncode(options.clientId)}:${formEncode(options.clientSecret)}`;
  return { headers: { authorization: `Basic ${Buffer.from(credentials).toString('base64')}` }, form: {} };
}
