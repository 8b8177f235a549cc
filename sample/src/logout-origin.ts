/**
 * Where a logout came from, when the identity provider can say: the demo's embedded IdP
 * remembers it (sample/idp, `logoutOrigin`); a real Keycloak does not tell its clients, so
 * against one the lookup is absent and the page says the origin is unknown.
 */
export interface LogoutOriginInfo {
  /** The client whose logout it was; undefined when the user logged out at the IdP itself. */
  initiatedBy?: string;
  /** Epoch ms the IdP received the confirmed logout. */
  at: number;
}

export type LogoutOriginLookup = (ended: { sid?: string; sub?: string }) => LogoutOriginInfo | undefined;
