import { ok, error, warning, type Finding } from './finding.js';
import { probe, jsonObject, type ProbeAnswer, type ProbeFailure } from './http-probe.js';
import type { ResolvedDoctorOptions } from './doctor-options.js';

export interface DiscoveryResult {
  findings: Finding[];
  /** The discovery document, when it could be read. */
  document?: Record<string, unknown>;
  /** The answer itself (its `Date` header feeds the clock check). */
  answer?: ProbeAnswer;
  /** Epoch milliseconds halfway through the request, to compare with `Date`. */
  midpoint?: number;
}

/** `<issuer>/.well-known/openid-configuration`: reachable, JSON, same issuer, back-channel logout advertised. */
export async function checkDiscovery(options: ResolvedDoctorOptions): Promise<DiscoveryResult> {
  const url = `${options.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
  const before = options.now();
  const result = await probe(url, { timeoutMs: options.timeoutMs, headers: { accept: 'application/json' } });
  const midpoint = (before + options.now()) / 2;
  if (result.kind === 'failure') return { findings: [unreachable(url, result)] };
  if (result.status >= 300 && result.status < 400) {
    const location = result.headers.get('location') ?? 'another URL';
    return {
      findings: [error('discovery.reachable', `${url} redirects to ${location} (${result.status}); the library does not follow redirects for discovery`, 'Set the issuer to the URL Keycloak itself names as its issuer (usually https, the frontend URL), without a redirect in between.')],
    };
  }
  if (result.status !== 200) {
    const fix = result.status === 404
      ? 'Check the realm name and the path in --issuer: Keycloak 17+ serves https://<host>/realms/<realm>, older versions (and KC_HTTP_RELATIVE_PATH=/auth) https://<host>/auth/realms/<realm>.'
      : 'Make the discovery document reachable from here (a proxy or firewall in between answers instead of Keycloak).';
    return { findings: [error('discovery.reachable', `${url} answered ${result.status} instead of the discovery document (${result.ms} ms)`, fix)] };
  }
  const document = jsonObject(result);
  if (!document) {
    return {
      findings: [error('discovery.reachable', `${url} answered 200 but not with a JSON discovery document (${result.ms} ms)`, 'Point --issuer at the realm (https://<keycloak>/realms/<realm>), not at a page in front of it.')],
    };
  }
  const findings: Finding[] = [ok('discovery.reachable', `discovery document read in ${result.ms} ms`)];
  findings.push(issuerFinding(options.issuer, document.issuer));
  findings.push(...backchannelSupport(document));
  return { findings, document, answer: result, midpoint };
}

function unreachable(url: string, failure: ProbeFailure): Finding {
  const fixes: Record<ProbeFailure['cause'], string> = {
    refused: 'Start Keycloak, or correct the host and port in --issuer (the app fetches discovery from the same URL).',
    not_found: 'Correct the host name in --issuer, or make it resolvable from where the app runs.',
    timeout: 'Check the network path to Keycloak (firewall, proxy, security group); the app waits at most jwks.timeout.',
    tls: "Make Node trust Keycloak's certificate (NODE_EXTRA_CA_CERTS=/path/ca.pem); do not turn TLS verification off.",
    reset: 'Check the proxy or load balancer in front of Keycloak.',
    other: 'Check --issuer and the network path to Keycloak.',
  };
  return error('discovery.reachable', `${url} cannot be reached: ${failure.description}`, fixes[failure.cause]);
}

function issuerFinding(configured: string, advertised: unknown): Finding {
  if (advertised === configured) return ok('discovery.issuer', `issuer ${configured} matches the discovery document`);
  if (typeof advertised !== 'string') {
    return error('discovery.issuer', 'the discovery document has no issuer', 'Point --issuer at a Keycloak realm.');
  }
  return error(
    'discovery.issuer',
    `the discovery document says issuer ${advertised}, the app is configured with ${configured}; every token's "iss" is ${advertised}, so all of them would be refused`,
    `Set the module's issuer to exactly ${advertised}, or fix Keycloak's frontend URL (hostname / KC_HOSTNAME) if that one is wrong.`,
  );
}

function backchannelSupport(document: Record<string, unknown>): Finding[] {
  const findings: Finding[] = [];
  if (document.backchannel_logout_supported === true) {
    findings.push(ok('discovery.backchannel-logout', 'back-channel logout is advertised (backchannel_logout_supported)'));
  } else {
    findings.push(error(
      'discovery.backchannel-logout',
      'the discovery document does not advertise backchannel_logout_supported: true',
      'Use a Keycloak version with OIDC back-channel logout (12+), and check that no openid-configuration override removes it.',
    ));
  }
  if (document.backchannel_logout_session_supported === true) {
    findings.push(ok('discovery.backchannel-logout-session', 'logout tokens can carry sid (backchannel_logout_session_supported)'));
  } else {
    findings.push(warning(
      'discovery.backchannel-logout-session',
      'the discovery document does not advertise backchannel_logout_session_supported: true, so logout tokens may carry no sid',
      'Without sid a logout ends every session of the user in this app; check the OP version and its discovery overrides.',
    ));
  }
  return findings;
}
