import { error, ok, warning, type Finding } from './finding.js';
import { probe, jsonObject, type ProbeResult } from './http-probe.js';
import type { ResolvedDoctorOptions, AdminCredentials } from './doctor-options.js';
import { adminRealmUrl, realmLocation, tokenEndpoint, type RealmLocation } from './realm-location.js';
import type { ClientRepresentation, RealmRepresentation } from './keycloak-representations.js';

export interface AdminReadResult {
  findings: Finding[];
  client?: ClientRepresentation;
  realm?: RealmRepresentation;
}

/**
 * Reads the client and the realm through Keycloak's Admin REST API with an admin token
 * (password grant on `admin-cli`, or client credentials). The token stays in this function:
 * it is never part of a finding.
 */
export async function readClientConfiguration(options: ResolvedDoctorOptions, admin: AdminCredentials): Promise<AdminReadResult> {
  const location = realmLocation(options.issuer);
  if (!location) {
    return { findings: [error('admin.realm', `the realm cannot be derived from ${options.issuer} (expected …/realms/<realm>)`, 'Pass the issuer of a Keycloak realm.')] };
  }
  if (!safeTransport(location.base)) {
    return {
      findings: [error(
        'admin.token',
        `not sending admin credentials to ${location.base}: plain http to a host that is not this machine would expose them`,
        'Use the https issuer for the Admin REST API checks (or run the doctor on the Keycloak host against localhost).',
      )],
    };
  }
  const token = await adminToken(options, location, admin);
  if (typeof token !== 'string') return { findings: [token] };

  const headers = { authorization: `Bearer ${token}`, accept: 'application/json' };
  const clientsUrl = `${adminRealmUrl(location)}/clients?clientId=${encodeURIComponent(options.clientId)}`;
  const clients = await probe(clientsUrl, { headers, timeoutMs: options.timeoutMs });
  const clientFinding = clientFrom(options, location, clients);
  if ('severity' in clientFinding) return { findings: [clientFinding] };

  const findings: Finding[] = [ok('admin.client', `client ${options.clientId} read from the Admin REST API of realm ${location.realm}`)];
  if (clientFinding.client.enabled === false) {
    findings.push(error('admin.client', `client ${options.clientId} is disabled`, 'Enable the client (Clients → the client → Enabled).'));
  }
  const realmAnswer = await probe(adminRealmUrl(location), { headers, timeoutMs: options.timeoutMs });
  const realmBody = realmAnswer.kind === 'answer' && realmAnswer.status === 200 ? jsonObject(realmAnswer) : undefined;
  if (!realmBody) {
    findings.push(warning(
      'admin.realm',
      `the realm representation could not be read (${describe(realmAnswer)}), so the realm's default signature algorithm is assumed to be RS256`,
      "Give the admin account the realm-management role view-realm.",
    ));
  }
  return { findings, client: clientFinding.client, ...(realmBody ? { realm: realmBody } : {}) };
}

async function adminToken(options: ResolvedDoctorOptions, location: RealmLocation, admin: AdminCredentials): Promise<string | Finding> {
  const url = tokenEndpoint(location, options.adminRealm);
  const form = admin.kind === 'password'
    ? new URLSearchParams({ grant_type: 'password', client_id: 'admin-cli', username: admin.username, password: admin.password })
    : new URLSearchParams({ grant_type: 'client_credentials', client_id: admin.clientId, client_secret: admin.clientSecret });
  const result = await probe(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: form.toString(),
    timeoutMs: options.timeoutMs,
  });
  const who = admin.kind === 'password' ? `admin user ${admin.username} (admin-cli, realm ${options.adminRealm})` : `client ${admin.clientId} (realm ${options.adminRealm})`;
  const body = result.kind === 'answer' ? jsonObject(result) : undefined;
  if (result.kind === 'answer' && result.status === 200 && typeof body?.access_token === 'string') return body.access_token;
  const reason = result.kind === 'answer' && typeof body?.error === 'string' ? `${result.status} ${body.error}` : describe(result);
  const fix = admin.kind === 'password'
    ? `Check the admin user's name and password (--admin-user, --admin-password or KEYCLOAK_ADMIN_PASSWORD) and that admin-cli allows direct access grants in realm ${options.adminRealm} (--admin-realm).`
    : `Check the client id and secret (--admin-client-id, --admin-client-secret or KEYCLOAK_ADMIN_CLIENT_SECRET), that it has Service accounts enabled, and that it lives in realm ${options.adminRealm} (--admin-realm).`;
  return error('admin.token', `no admin token for ${who}: ${reason}`, fix);
}

function clientFrom(options: ResolvedDoctorOptions, location: RealmLocation, result: ProbeResult): { client: ClientRepresentation } | Finding {
  if (result.kind === 'failure') {
    return error('admin.client', `the Admin REST API cannot be reached: ${result.description}`, `Let this machine reach ${location.base}/admin/ (some setups expose the admin API on another host or port).`);
  }
  if (result.status === 401 || result.status === 403) {
    return error(
      'admin.client',
      `the Admin REST API refused to list clients (${result.status})`,
      `Give the admin account the realm-management roles view-clients and view-realm of realm ${location.realm} (or use an admin of the master realm).`,
    );
  }
  if (result.status === 404) {
    return error('admin.client', `realm ${location.realm} is not known to the Admin REST API (404)`, 'Check the realm name in --issuer.');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(result.body);
  } catch {
    parsed = undefined;
  }
  if (result.status !== 200 || !Array.isArray(parsed)) {
    return error('admin.client', `the Admin REST API answered ${result.status} without a client list`, `Check that ${location.base} is Keycloak's address for its admin API.`);
  }
  const client = (parsed as ClientRepresentation[]).find((candidate) => candidate && candidate.clientId === options.clientId);
  if (!client) {
    return error(
      'admin.client',
      `realm ${location.realm} has no client with clientId ${options.clientId}`,
      'Pass the Client ID exactly as in Keycloak (Clients list, first column): the same value as the module option clientId.',
    );
  }
  return { client };
}

/** https anywhere, http only to a loopback address. */
function safeTransport(base: string): boolean {
  const url = new URL(base);
  if (url.protocol === 'https:') return true;
  return ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname) || url.hostname.endsWith('.localhost');
}

function describe(result: ProbeResult): string {
  return result.kind === 'failure' ? result.description : `answered ${result.status}`;
}
