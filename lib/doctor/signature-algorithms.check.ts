import { ok, error, type Finding } from './finding.js';
import { attribute, CLIENT_ATTRIBUTES, realmDefaultAlgorithm } from './keycloak-representations.js';
import type { ClientCheckInput } from './client-check-input.js';

/**
 * The algorithms Keycloak signs with for this client against the configured ones
 * (docs/keycloak-protocol.md §1.4): logout tokens use the client's
 * `id.token.signed.response.alg` (realm `defaultSignatureAlgorithm` when unset), admin actions
 * always the realm default, access tokens `access.token.signed.response.alg` or the realm default.
 */
export function checkSignatureAlgorithms({ options, client, realm }: ClientCheckInput): Finding[] {
  const realmDefault = realmDefaultAlgorithm(realm);
  const idTokenAlg = attribute(client, CLIENT_ATTRIBUTES.idTokenSignedResponseAlg) ?? realmDefault;
  const accessTokenAlg = attribute(client, CLIENT_ATTRIBUTES.accessTokenSignedResponseAlg) ?? realmDefault;
  const findings: Finding[] = [];
  const where = 'Clients → the client → Advanced → Fine grain OpenID Connect configuration';

  if (options.algorithms.includes(idTokenAlg)) {
    const differs = idTokenAlg !== realmDefault ? ` (the realm default is ${realmDefault}: admin actions and logout tokens use different algorithms)` : '';
    findings.push(ok('client.id-token-algorithm', `logout and ID tokens are signed with ${idTokenAlg}, which the app accepts${differs}`));
  } else {
    findings.push(error(
      'client.id-token-algorithm',
      `logout and ID tokens are signed with ${idTokenAlg} (id.token.signed.response.alg${idTokenAlg === realmDefault ? ', the realm default' : `; the realm default is ${realmDefault}`}), not in the configured algorithms (${options.algorithms.join(', ')}): every logout token is refused`,
      `Add '${idTokenAlg}' to the module's algorithms, or set "ID token signature algorithm" to ${options.algorithms[0] ?? realmDefault} (${where}).`,
    ));
  }
  if (!options.algorithms.includes(accessTokenAlg)) {
    findings.push(error(
      'client.access-token-algorithm',
      `access tokens are signed with ${accessTokenAlg}, not in the configured algorithms (${options.algorithms.join(', ')}): KeycloakBearerGuard refuses them`,
      `Add '${accessTokenAlg}' to the module's algorithms, or set "Access token signature algorithm" to ${options.algorithms[0] ?? realmDefault} (${where}).`,
    ));
  }
  if (!options.withoutAdminRoutes && !options.adminAlgorithms.includes(realmDefault)) {
    findings.push(error(
      'realm.default-signature-algorithm',
      `Admin URL actions are signed with the realm's default algorithm ${realmDefault}, not in the configured adminAlgorithms (${options.adminAlgorithms.join(', ')}): k_logout and "Push revocation" are refused`,
      `Set the module's adminAlgorithms to ['${realmDefault}'] (and --admin-algorithms here).`,
    ));
  }
  return findings;
}
