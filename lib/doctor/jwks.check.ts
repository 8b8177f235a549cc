import { ok, error, type Finding } from './finding.js';
import { probe, jsonObject } from './http-probe.js';
import type { ResolvedDoctorOptions } from './doctor-options.js';
import { isPlainObject } from '../utils/is-plain-object.js';

/** The parts of a JWK the doctor reads. */
export interface PublicJwk {
  kid?: string;
  kty?: string;
  alg?: string;
  use?: string;
}

export interface JwksResult {
  findings: Finding[];
  /** The realm's signing keys (keys for encryption left out). */
  signingKeys?: PublicJwk[];
}

/** The realm keys at the discovery document's `jwks_uri`: reachable, with at least one signing key. */
export async function checkJwks(options: ResolvedDoctorOptions, discovery: Record<string, unknown>): Promise<JwksResult> {
  const uri = discovery.jwks_uri;
  if (typeof uri !== 'string') {
    return { findings: [error('jwks.reachable', 'the discovery document has no jwks_uri', 'Point --issuer at a Keycloak realm; its discovery document names the realm keys.')] };
  }
  const result = await probe(uri, { timeoutMs: options.timeoutMs, headers: { accept: 'application/json' } });
  if (result.kind === 'failure') {
    return {
      findings: [error('jwks.reachable', `the realm keys (${uri}) cannot be reached: ${result.description}`, "Make jwks_uri reachable from the app: Keycloak builds it from its backend URL (hostname-backchannel-dynamic / KC_HOSTNAME_BACKCHANNEL_DYNAMIC), which may differ from the browser's.")],
    };
  }
  const body = result.status === 200 ? jsonObject(result) : undefined;
  const keys = Array.isArray(body?.keys) ? (body.keys as unknown[]).filter(isJwk) : undefined;
  if (!keys) {
    return { findings: [error('jwks.reachable', `${uri} answered ${result.status} without a JSON key set (${result.ms} ms)`, 'Make jwks_uri answer the realm keys to the app (no proxy page or login in front of it).')] };
  }
  const signingKeys = keys.filter((key) => key.use === undefined || key.use === 'sig');
  if (signingKeys.length === 0) {
    return { findings: [error('jwks.reachable', `${uri} holds no signing key`, 'Give the realm an active signing key (Realm settings → Keys → Providers, e.g. rsa-generated).')] };
  }
  return { findings: [ok('jwks.reachable', `realm keys read in ${result.ms} ms: ${signingKeys.length} signing key(s)`)], signingKeys };
}

function isJwk(value: unknown): value is PublicJwk {
  return isPlainObject(value);
}
