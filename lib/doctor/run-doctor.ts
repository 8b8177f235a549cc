import { resolveDoctorOptions, type DoctorOptions } from './doctor-options.js';
import type { Finding } from './finding.js';
import { checkDiscovery } from './discovery.check.js';
import { checkJwks } from './jwks.check.js';
import { checkAlgorithms } from './algorithms.check.js';
import { checkClockSkew } from './clock-skew.check.js';
import { checkAppRoutes } from './app-routes.check.js';
import { readClientConfiguration } from './keycloak-admin-api.js';
import type { ClientCheckInput } from './client-check-input.js';
import { checkFrontchannelLogout } from './frontchannel-logout.check.js';
import { checkBackchannelLogoutUrl } from './backchannel-logout-url.check.js';
import { checkBackchannelSessionRequired } from './backchannel-session-required.check.js';
import { checkRevokeOfflineTokens } from './revoke-offline-tokens.check.js';
import { checkAdminUrl } from './admin-url.check.js';
import { checkPostLogoutRedirectUris } from './post-logout-redirect.check.js';
import { checkSignatureAlgorithms } from './signature-algorithms.check.js';
import { checkLightweightAccessToken } from './lightweight-access-token.check.js';

/** The doctor's result: every finding, and the exit code a CLI should end with. */
export interface DoctorReport {
  issuer: string;
  clientId: string;
  appUrl?: string;
  findings: Finding[];
  summary: { errors: number; warnings: number; ok: number };
  /** 0 when nothing breaks single logout, 1 when an error-severity finding exists. */
  exitCode: 0 | 1;
}

const CLIENT_CHECKS: Array<(input: ClientCheckInput) => Finding | Finding[]> = [
  checkFrontchannelLogout,
  checkBackchannelLogoutUrl,
  checkBackchannelSessionRequired,
  checkRevokeOfflineTokens,
  checkAdminUrl,
  checkPostLogoutRedirectUris,
  checkSignatureAlgorithms,
  checkLightweightAccessToken,
];

/**
 * Checks a setup the way the app and Keycloak will meet it: the realm (discovery, keys,
 * algorithms, clock), the app's logout routes (with `appUrl`), and the client's configuration
 * through Keycloak's Admin REST API (with `admin`). Never throws for an unreachable or
 * misbehaving party: that is a finding.
 */
export async function runDoctor(input: DoctorOptions): Promise<DoctorReport> {
  const options = resolveDoctorOptions(input);
  const findings: Finding[] = [];

  const appRoutes = options.appUrl ? checkAppRoutes(options) : Promise.resolve([]);
  const discovery = await checkDiscovery(options);
  findings.push(...discovery.findings);
  if (discovery.document && discovery.answer && discovery.midpoint !== undefined) {
    findings.push(checkClockSkew(options, discovery.answer.headers.get('date'), discovery.midpoint));
    const jwks = await checkJwks(options, discovery.document);
    findings.push(...jwks.findings);
    if (jwks.signingKeys) findings.push(...checkAlgorithms(options, jwks.signingKeys, discovery.document));
  }
  findings.push(...(await appRoutes));

  if (options.admin) {
    const read = await readClientConfiguration(options, options.admin);
    findings.push(...read.findings);
    if (read.client) {
      const checkInput: ClientCheckInput = { options, client: read.client, ...(read.realm ? { realm: read.realm } : {}) };
      for (const check of CLIENT_CHECKS) findings.push(...[check(checkInput)].flat());
    }
  }

  const summary = {
    errors: findings.filter((f) => f.severity === 'error').length,
    warnings: findings.filter((f) => f.severity === 'warning').length,
    ok: findings.filter((f) => f.severity === 'ok').length,
  };
  return {
    issuer: options.issuer,
    clientId: options.clientId,
    ...(options.appUrl ? { appUrl: options.appUrl } : {}),
    findings,
    summary,
    exitCode: summary.errors > 0 ? 1 : 0,
  };
}
