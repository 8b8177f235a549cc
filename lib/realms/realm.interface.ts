import type { AccessTokenVerifierService } from '../tokens/access-token-verifier.service.js';
import type { AdminActionVerifierService } from '../tokens/admin-action-verifier.service.js';
import type { LogoutTokenVerifierService } from '../tokens/logout-token-verifier.service.js';
import type { SigningKeysService } from '../tokens/signing-keys.service.js';

/**
 * One realm (issuer) the app accepts, with its own discovery, keys and verifiers: whatever it
 * verifies was signed with this realm's keys and algorithms and carries this realm's issuer.
 */
export interface Realm {
  /** The `name` of a realm of the `realms` option; undefined for the primary realm. */
  readonly name: string | undefined;
  readonly issuer: string;
  readonly clientId: string;
  /** What revocations and records of this realm carry as `issuer`: undefined for the primary realm. */
  readonly key: string | undefined;
  readonly signingKeys: SigningKeysService;
  readonly logoutTokens: LogoutTokenVerifierService;
  readonly adminActions: AdminActionVerifierService;
}

/** A realm of the `realms` option: it also verifies access tokens on its own. */
export interface FurtherRealm extends Realm {
  readonly name: string;
  readonly key: string;
  readonly accessTokens: AccessTokenVerifierService;
}
