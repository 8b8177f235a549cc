import { SUPPORTED_ALGORITHMS } from '../options/default-options.js';
import { ok, error, warning, type Finding } from './finding.js';
import type { ResolvedDoctorOptions } from './doctor-options.js';
import type { PublicJwk } from './jwks.check.js';

/**
 * The algorithms the realm's keys sign with against the configured `algorithms` (pinned: the
 * library never takes them from the token or the OP). A realm key whose algorithm is not
 * configured signs tokens the app refuses, if a client or the realm default uses it.
 */
export function checkAlgorithms(options: ResolvedDoctorOptions, signingKeys: PublicJwk[], discovery: Record<string, unknown>): Finding[] {
  const configured = options.algorithms;
  const unsupported = configured.filter((alg) => !(SUPPORTED_ALGORITHMS as readonly string[]).includes(alg));
  if (unsupported.length > 0) {
    return [error('algorithms.configured', `configured algorithms the library does not accept: ${unsupported.join(', ')}`, `Use asymmetric algorithms only: ${SUPPORTED_ALGORITHMS.join(', ')}.`)];
  }
  const keyAlgorithms = [...new Set(signingKeys.map((key) => key.alg ?? defaultAlgorithm(key)).filter((alg): alg is string => alg !== undefined))];
  const findings: Finding[] = [];
  const usable = keyAlgorithms.filter((alg) => configured.includes(alg));
  if (usable.length === 0) {
    findings.push(error(
      'algorithms.realm-keys',
      `the realm's keys sign with ${keyAlgorithms.join(', ') || 'no named algorithm'}, none of which is in the configured algorithms (${configured.join(', ')}); every token would be refused`,
      `Set the module's algorithms (and --algorithms here) to the realm's algorithm, e.g. algorithms: ['${keyAlgorithms[0] ?? 'RS256'}'], or add a key for ${configured[0]} to the realm.`,
    ));
  } else {
    const others = keyAlgorithms.filter((alg) => !configured.includes(alg));
    if (others.length === 0) {
      findings.push(ok('algorithms.realm-keys', `the realm's keys sign with ${usable.join(', ')}, all in the configured algorithms`));
    } else {
      findings.push(warning(
        'algorithms.realm-keys',
        `the realm also has keys for ${others.join(', ')}, not in the configured algorithms (${configured.join(', ')}); tokens signed with them are refused`,
        `If a client's signature algorithms or the realm's default use ${others.join(' or ')}, add it to the module's algorithms; otherwise nothing to do.`,
      ));
    }
  }
  const advertised = discovery.id_token_signing_alg_values_supported;
  if (Array.isArray(advertised)) {
    const never = configured.filter((alg) => !advertised.includes(alg));
    if (never.length > 0) {
      findings.push(warning(
        'algorithms.advertised',
        `id_token_signing_alg_values_supported does not list ${never.join(', ')}: the OP never signs with it`,
        `Drop ${never.join(', ')} from the configured algorithms.`,
      ));
    }
  }
  return findings;
}

/** RSA keys without `alg` are RS256 in Keycloak's JWKS; other key types must say. */
function defaultAlgorithm(key: PublicJwk): string | undefined {
  return key.kty === 'RSA' ? 'RS256' : undefined;
}
