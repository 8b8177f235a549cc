import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CanActivate, Injectable, UnauthorizedException, type ExecutionContext } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { KeycloakLogoutModule, formatReport, runDoctor, type DoctorOptions, type DoctorReport, type Finding } from '../../lib/index.js';
import type { ClientRepresentationPatch } from '../../sample/idp/admin-rest.js';
import { freePort } from '../support/free-port.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { startTestOp, type TestOp } from '../support/test-op.js';

const root = join(import.meta.dirname, '..', '..');
const CLIENT = 'doctor-app';
const CLIENT_SECRET = 'doctor-app-client-secret-value';
const ADMIN = { username: 'doctor-admin', password: 'doctor-admin-password-value' };
const SERVICE = { clientId: 'doctor-service', clientSecret: 'doctor-service-secret-value' };

/** A global guard written without @Public() in mind: it refuses every request without a token. */
@Injectable()
class NaiveGlobalGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<{ headers: Record<string, string | undefined> }>();
    if (request.headers.authorization === undefined) throw new UnauthorizedException();
    return true;
  }
}

function finding(report: DoctorReport, id: string): Finding {
  const found = report.findings.find((candidate) => candidate.id === id);
  expect(found, `no finding ${id} in ${JSON.stringify(report.findings, null, 1)}`).toBeDefined();
  return found!;
}

function errors(report: DoctorReport): string[] {
  return report.findings.filter((f) => f.severity === 'error').map((f) => f.id);
}

/** A plain HTTP server answering every request with `answer` (for what stands in front of apps, and fake OPs). */
async function startServer(answer: (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => void): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer(answer);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

function runCliProcess(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(root, 'dist', 'cli', 'main.js'), ...args], { env: { ...process.env, ...env }, encoding: 'utf8' }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

describe('doctor', () => {
  let op: TestOp;
  let app: TestApp;
  let healthy: DoctorOptions;

  beforeAll(async () => {
    op = await startTestOp({
      clients: [],
      admin: { users: [ADMIN, { username: 'doctor-viewer-less', password: 'viewer-less-password', canView: false }], serviceClients: [SERVICE] },
    });
    app = await startTestApp('express', KeycloakLogoutModule.forRoot({ issuer: op.issuer, clientId: CLIENT }));
    await op.registerClient({
      clientId: CLIENT,
      clientSecret: CLIENT_SECRET,
      redirectUris: [`${app.url}/auth/callback`],
      postLogoutRedirectUris: [`${app.url}/auth/logout/return`],
      backchannelLogoutUri: `${app.url}/auth/backchannel-logout`,
    });
    healthy = { issuer: op.issuer, clientId: CLIENT, appUrl: app.url, admin: { kind: 'password', ...ADMIN } };
  });
  afterEach(() => {
    op.adminRest.resetRepresentations();
    // The healthy client has an Admin URL; tests that remove it patch it away again.
    op.adminRest.setClientRepresentation(CLIENT, { adminUrl: `${app.url}/auth` });
  });
  afterAll(async () => {
    await app?.close();
    await op?.close();
  });

  describe('a healthy setup', () => {
    beforeAll(() => op.adminRest.setClientRepresentation(CLIENT, { adminUrl: `${app.url}/auth` }));

    it('finds nothing that breaks single logout: exit code 0, every check reported', async () => {
      const report = await runDoctor(healthy);
      expect(errors(report)).toEqual([]);
      expect(report.exitCode).toBe(0);
      for (const id of [
        'discovery.reachable', 'discovery.issuer', 'discovery.backchannel-logout', 'clock.skew', 'jwks.reachable', 'algorithms.realm-keys',
        'app.backchannel-logout', 'app.k_logout', 'app.k_push_not_before', 'app.k_test_available', 'admin.client',
        'client.frontchannel-logout', 'client.backchannel-logout-url', 'client.backchannel-logout-session-required', 'client.admin-url',
        'client.post-logout-redirect-uris', 'client.id-token-algorithm', 'client.lightweight-access-token', 'client.backchannel-logout-revoke-offline',
      ]) {
        expect(finding(report, id).severity, id).toBe('ok');
      }
      expect(finding(report, 'discovery.reachable').message).toMatch(/read in \d+ ms/);
      expect(finding(report, 'app.backchannel-logout').message).toContain('400 invalid_request');
    });

    it('reads the client with client credentials too', async () => {
      const report = await runDoctor({ ...healthy, admin: { kind: 'client', ...SERVICE } });
      expect(finding(report, 'admin.client').severity).toBe('ok');
      expect(report.exitCode).toBe(0);
    });

    it('never puts the admin password, client secrets or the admin token into the report', async () => {
      const report = await runDoctor(healthy);
      const text = `${formatReport(report)}${JSON.stringify(report)}`;
      for (const secret of [ADMIN.password, CLIENT_SECRET, SERVICE.clientSecret]) expect(text).not.toContain(secret);
      expect(text).not.toMatch(/Bearer [\w-]{20,}/);
    });

    it('the probes change nothing in the app: the invalid tokens are refused, not revoked', async () => {
      await runDoctor(healthy);
      const me = await fetch(`${app.url}/api/public`);
      expect(me.status).toBe(200);
    });
  });

  describe('misconfigured clients, one finding each (exit code 1)', () => {
    const cases: Array<{ name: string; patch: ClientRepresentationPatch; id: string; says: RegExp }> = [
      { name: 'Front channel logout on', patch: { frontchannelLogout: true }, id: 'client.frontchannel-logout', says: /no back-channel logout at all/ },
      { name: 'no Backchannel logout URL and no Admin URL', patch: { adminUrl: '', attributes: { 'backchannel.logout.url': null } }, id: 'client.backchannel-logout-url', says: /no Backchannel logout URL/ },
      { name: 'Backchannel logout URL pointing elsewhere', patch: { attributes: { 'backchannel.logout.url': 'https://other-app.example/logout' } }, id: 'client.backchannel-logout-url', says: /does not point at this app's route \/auth\/backchannel-logout/ },
      { name: 'Backchannel logout session required off', patch: { attributes: { 'backchannel.logout.session.required': 'false' } }, id: 'client.backchannel-logout-session-required', says: /carry no sid/ },
      { name: 'Backchannel logout session required unset', patch: { attributes: { 'backchannel.logout.session.required': null } }, id: 'client.backchannel-logout-session-required', says: /unset/ },
      { name: 'no Admin URL', patch: { adminUrl: '' }, id: 'client.admin-url', says: /Sign out all active sessions/ },
      { name: 'Admin URL pointing elsewhere', patch: { adminUrl: 'https://other-app.example/admin' }, id: 'client.admin-url', says: /does not point at this app's prefix/ },
      { name: 'no valid post logout redirect URI', patch: { attributes: { 'post.logout.redirect.uris': '-' } }, id: 'client.post-logout-redirect-uris', says: /no valid post logout redirect URI/ },
      { name: 'post logout redirect URIs "+" with no redirect URIs', patch: { redirectUris: [], attributes: { 'post.logout.redirect.uris': '+' } }, id: 'client.post-logout-redirect-uris', says: /no valid post logout redirect URI/ },
      { name: 'ID token signature algorithm differs from the realm default', patch: { attributes: { 'id.token.signed.response.alg': 'ES256' } }, id: 'client.id-token-algorithm', says: /signed with ES256 .*the realm default is RS256/ },
      { name: 'lightweight access tokens with session required off', patch: { attributes: { 'client.use.lightweight.access.token.enabled': 'true', 'backchannel.logout.session.required': 'false' } }, id: 'client.lightweight-access-token', says: /no sub/ },
      { name: 'disabled client', patch: { enabled: false }, id: 'admin.client', says: /disabled/ },
    ];

    it.each(cases)('$name', async ({ patch, id, says }) => {
      op.adminRest.setClientRepresentation(CLIENT, { adminUrl: `${app.url}/auth`, ...patch });
      const report = await runDoctor(healthy);
      const found = report.findings.find((f) => f.id === id && f.severity === 'error');
      expect(found, JSON.stringify(report.findings, null, 1)).toBeDefined();
      expect(found!.message).toMatch(says);
      expect(found!.fix).not.toBe('');
      expect(report.exitCode).toBe(1);
    });

    it('a realm default algorithm outside adminAlgorithms refuses Admin URL actions (and logout tokens)', async () => {
      op.adminRest.setRealmRepresentation({ defaultSignatureAlgorithm: 'PS256' });
      const report = await runDoctor(healthy);
      expect(finding(report, 'realm.default-signature-algorithm').severity).toBe('error');
      expect(finding(report, 'client.id-token-algorithm').severity).toBe('error');
      expect(report.exitCode).toBe(1);
    });

    it('an ID-token algorithm that differs from the realm default but is configured is fine', async () => {
      op.adminRest.setClientRepresentation(CLIENT, { adminUrl: `${app.url}/auth`, attributes: { 'id.token.signed.response.alg': 'ES256' } });
      const report = await runDoctor({ ...healthy, algorithms: ['RS256', 'ES256'], adminAlgorithms: ['RS256'] });
      expect(finding(report, 'client.id-token-algorithm')).toMatchObject({ severity: 'ok', message: expect.stringContaining('use different algorithms') });
      expect(errors(report)).toEqual([]);
    });

    it('a Backchannel logout URL on another host name only warns (Keycloak in Docker reaches the app by another name)', async () => {
      const port = new URL(app.url).port;
      op.adminRest.setClientRepresentation(CLIENT, { adminUrl: `http://host.docker.internal:${port}/auth`, attributes: { 'backchannel.logout.url': `http://host.docker.internal:${port}/auth/backchannel-logout` } });
      const report = await runDoctor(healthy);
      expect(finding(report, 'client.backchannel-logout-url').severity).toBe('warning');
      expect(finding(report, 'client.admin-url').severity).toBe('warning');
      expect(report.exitCode).toBe(0);
    });

    it('an unknown client id is an error, not a crash', async () => {
      const report = await runDoctor({ ...healthy, clientId: 'no-such-client' });
      expect(finding(report, 'admin.client')).toMatchObject({ severity: 'error', message: expect.stringContaining('no client with clientId no-such-client') });
      expect(report.exitCode).toBe(1);
    });

    it('refused admin credentials are an error naming the user, never the password', async () => {
      const report = await runDoctor({ ...healthy, admin: { kind: 'password', username: ADMIN.username, password: 'wrong-password-value' } });
      const token = finding(report, 'admin.token');
      expect(token).toMatchObject({ severity: 'error', message: expect.stringContaining('401 invalid_grant') });
      expect(JSON.stringify(report)).not.toContain('wrong-password-value');
      expect(report.exitCode).toBe(1);
    });

    it('an admin without view rights is told which roles it lacks', async () => {
      const report = await runDoctor({ ...healthy, admin: { kind: 'password', username: 'doctor-viewer-less', password: 'viewer-less-password' } });
      expect(finding(report, 'admin.client')).toMatchObject({ severity: 'error', fix: expect.stringContaining('view-clients') });
    });
  });

  describe("the app's routes, as Keycloak calls them", () => {
    let guarded: TestApp;
    let extras: Array<{ close(): Promise<void> }> = [];

    beforeAll(async () => {
      guarded = await startTestApp('express', KeycloakLogoutModule.forRoot({ issuer: op.issuer, clientId: CLIENT }), {
        providers: [{ provide: APP_GUARD, useClass: NaiveGlobalGuard }],
      });
    });
    afterAll(async () => {
      await guarded?.close();
      for (const extra of extras) await extra.close();
      extras = [];
    });

    it('behind a global guard that ignores @Public(): explained as a guard in front', async () => {
      const report = await runDoctor({ issuer: op.issuer, clientId: CLIENT, appUrl: guarded.url });
      const route = finding(report, 'app.backchannel-logout');
      expect(route.severity).toBe('error');
      expect(route.message).toMatch(/answered 401.*a guard or middleware refuses the call/);
      expect(route.fix).toContain('@Public()');
      // The Admin URL routes answer invalid tokens with 401 themselves; the guard's 401 is still told apart.
      expect(finding(report, 'app.k_logout')).toMatchObject({ severity: 'error', message: expect.stringContaining('a guard or middleware') });
      expect(report.exitCode).toBe(1);
    });

    it('with the wrong route prefix: 404 explained as a routePrefix mismatch or a missing module', async () => {
      const report = await runDoctor({ issuer: op.issuer, clientId: CLIENT, appUrl: app.url, routePrefix: 'sso' });
      const route = finding(report, 'app.backchannel-logout');
      expect(route.severity).toBe('error');
      expect(route.message).toMatch(/404 .*routePrefix differs from 'sso'.*KeycloakLogoutModule is not imported/);
      expect(report.exitCode).toBe(1);
    });

    it('behind a login redirect: explained as a redirect to a login page', async () => {
      const front = await startServer((_req, res) => {
        res.writeHead(302, { location: 'https://sso.example/login' });
        res.end();
      });
      extras.push(front);
      const report = await runDoctor({ issuer: op.issuer, clientId: CLIENT, appUrl: front.url });
      expect(finding(report, 'app.backchannel-logout')).toMatchObject({ severity: 'error', message: expect.stringMatching(/redirect to https:\/\/sso\.example\/login/) });
    });

    it('an HTML page instead of the library: explained as something else serving the path', async () => {
      const front = await startServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('<!doctype html><html><body>single-page app</body></html>');
      });
      extras.push(front);
      const report = await runDoctor({ issuer: op.issuer, clientId: CLIENT, appUrl: front.url });
      expect(finding(report, 'app.k_logout')).toMatchObject({ severity: 'error', message: expect.stringContaining('HTML page') });
    });

    it('nothing listening: connection refused, an error and not a crash', async () => {
      const port = await freePort();
      const report = await runDoctor({ issuer: op.issuer, clientId: CLIENT, appUrl: `http://127.0.0.1:${port}` });
      expect(finding(report, 'app.backchannel-logout')).toMatchObject({ severity: 'error', message: expect.stringContaining('connection refused') });
      expect(report.exitCode).toBe(1);
    });

    it('a Fastify app passes the same route checks', async () => {
      const fastify = await startTestApp('fastify', KeycloakLogoutModule.forRoot({ issuer: op.issuer, clientId: CLIENT }));
      extras.push(fastify);
      const report = await runDoctor({ issuer: op.issuer, clientId: CLIENT, appUrl: fastify.url });
      for (const id of ['app.backchannel-logout', 'app.k_logout', 'app.k_push_not_before', 'app.k_test_available']) expect(finding(report, id).severity, id).toBe('ok');
      expect(report.exitCode).toBe(0);
    });

    it('--without-admin-routes leaves the k_* routes out', async () => {
      const report = await runDoctor({ issuer: op.issuer, clientId: CLIENT, appUrl: app.url, withoutAdminRoutes: true });
      expect(report.findings.filter((f) => f.id === 'app.k_push_not_before')).toEqual([]);
      expect(errors(report)).toEqual([]);
    });
  });

  describe('the realm', () => {
    it('an unreachable issuer is an error finding, not a crash', async () => {
      const port = await freePort();
      const report = await runDoctor({ issuer: `http://127.0.0.1:${port}/realms/gone`, clientId: CLIENT, timeoutMs: 2_000 });
      expect(report.findings).toEqual([expect.objectContaining({ id: 'discovery.reachable', severity: 'error', message: expect.stringContaining('connection refused') })]);
      expect(report.exitCode).toBe(1);
    });

    it('an issuer that differs from the discovery document, a skewed clock and algorithms the realm does not sign with', async () => {
      const fake = await startServer((req, res) => {
        const origin = `http://${req.headers.host}`;
        // Keycloak's answer, from a host whose clock runs 30 s ahead.
        res.setHeader('date', new Date(Date.now() + 30_000).toUTCString());
        res.setHeader('content-type', 'application/json');
        if (req.url === '/realms/r/.well-known/openid-configuration') {
          res.end(JSON.stringify({ issuer: 'https://keycloak.example/realms/r', jwks_uri: `${origin}/realms/r/protocol/openid-connect/certs`, backchannel_logout_supported: true, id_token_signing_alg_values_supported: ['RS256', 'ES256'] }));
        } else {
          res.end(JSON.stringify({ keys: [{ kid: 'k1', kty: 'EC', alg: 'ES256', use: 'sig', crv: 'P-256', x: 'x', y: 'y' }, { kid: 'k2', kty: 'RSA', alg: 'RSA-OAEP', use: 'enc', n: 'n', e: 'AQAB' }] }));
        }
      });
      try {
        const report = await runDoctor({ issuer: `${fake.url}/realms/r`, clientId: CLIENT });
        expect(finding(report, 'discovery.issuer')).toMatchObject({ severity: 'error', fix: expect.stringContaining('https://keycloak.example/realms/r') });
        expect(finding(report, 'discovery.backchannel-logout-session').severity).toBe('warning');
        expect(finding(report, 'clock.skew')).toMatchObject({ severity: 'error', message: expect.stringMatching(/ahead of this machine's, more than the library's clockTolerance is 5 s/) });
        expect(finding(report, 'algorithms.realm-keys')).toMatchObject({ severity: 'error', message: expect.stringContaining('sign with ES256') });
        expect(report.exitCode).toBe(1);
      } finally {
        await fake.close();
      }
    });
  });

  describe("the embedded IdP's Admin REST API (what the doctor reads)", () => {
    const adminBase = () => op.issuer.replace(/\/realms\/test$/, '');
    const tokenUrl = () => `${adminBase()}/realms/master/protocol/openid-connect/token`;
    const form = (fields: Record<string, string>) => fetch(tokenUrl(), { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() });
    async function adminToken(): Promise<string> {
      const response = await form({ grant_type: 'password', client_id: 'admin-cli', ...ADMIN });
      expect(response.status).toBe(200);
      return ((await response.json()) as { access_token: string }).access_token;
    }

    it("answers Keycloak's ClientRepresentation, with its field and attribute names, behind an admin token", async () => {
      const token = await adminToken();
      const response = await fetch(`${adminBase()}/admin/realms/test/clients?clientId=${CLIENT}`, { headers: { authorization: `Bearer ${token}` } });
      expect(response.status).toBe(200);
      const [client, ...others] = (await response.json()) as Array<Record<string, any>>;
      expect(others).toEqual([]);
      expect(client).toMatchObject({
        clientId: CLIENT,
        enabled: true,
        protocol: 'openid-connect',
        publicClient: false,
        frontchannelLogout: false,
        redirectUris: [`${app.url}/auth/callback`],
        attributes: {
          'backchannel.logout.url': `${app.url}/auth/backchannel-logout`,
          'backchannel.logout.session.required': 'true',
          'backchannel.logout.revoke.offline.tokens': 'false',
          'post.logout.redirect.uris': `${app.url}/auth/logout/return`,
        },
      });
      expect(client!.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      const realm = await fetch(`${adminBase()}/admin/realms/test`, { headers: { authorization: `Bearer ${token}` } });
      expect(await realm.json()).toMatchObject({ realm: 'test', defaultSignatureAlgorithm: 'RS256' });
      const none = await fetch(`${adminBase()}/admin/realms/test/clients?clientId=unknown`, { headers: { authorization: `Bearer ${token}` } });
      expect(await none.json()).toEqual([]);
    });

    it('refuses requests without a valid admin token (401), for another realm (404), and bad token requests', async () => {
      for (const authorization of [undefined, 'Bearer not-an-issued-token', 'Basic YWRtaW46YWRtaW4=']) {
        const response = await fetch(`${adminBase()}/admin/realms/test/clients?clientId=${CLIENT}`, { headers: authorization ? { authorization } : {} });
        expect(response.status, authorization).toBe(401);
        expect(await response.json()).toEqual({ error: 'HTTP 401 Unauthorized' });
      }
      const token = await adminToken();
      const otherRealm = await fetch(`${adminBase()}/admin/realms/other/clients`, { headers: { authorization: `Bearer ${token}` } });
      expect(otherRealm.status).toBe(404);
      const write = await fetch(`${adminBase()}/admin/realms/test/clients`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
      expect(write.status).toBe(405);

      expect((await form({ grant_type: 'password', client_id: 'app', ...ADMIN })).status).toBe(401);
      const wrongPassword = await form({ grant_type: 'password', client_id: 'admin-cli', username: ADMIN.username, password: 'nope' });
      expect([wrongPassword.status, await wrongPassword.json()]).toEqual([401, { error: 'invalid_grant', error_description: 'Invalid user credentials' }]);
      const wrongSecret = await form({ grant_type: 'client_credentials', client_id: SERVICE.clientId, client_secret: 'nope' });
      expect(wrongSecret.status).toBe(401);
      const unknownGrant = await form({ grant_type: 'authorization_code', client_id: 'admin-cli' });
      expect([unknownGrant.status, ((await unknownGrant.json()) as { error: string }).error]).toEqual([400, 'unsupported_grant_type']);
    });
  });

  describe('the command line (node dist/cli/main.js)', () => {
    beforeAll(() => {
      expect(existsSync(join(root, 'dist', 'cli', 'main.js')), 'dist/ is missing: run `npm run build` first (npm test does)').toBe(true);
    });

    it('a healthy setup: exit code 0 and one line per finding', async () => {
      op.adminRest.setClientRepresentation(CLIENT, { adminUrl: `${app.url}/auth` });
      const { code, stdout } = await runCliProcess(['doctor', '--issuer', op.issuer, '--client-id', CLIENT, '--app-url', app.url, '--admin-user', ADMIN.username], { KEYCLOAK_ADMIN_PASSWORD: ADMIN.password });
      expect(code, stdout).toBe(0);
      expect(stdout).toMatch(/^ok {4}app\.backchannel-logout: /m);
      expect(stdout).toContain('nothing found that breaks single logout');
      expect(stdout).not.toContain(ADMIN.password);
    });

    it('a misconfigured client: exit code 1, each error with its fix, and --json parses', async () => {
      op.adminRest.setClientRepresentation(CLIENT, { frontchannelLogout: true, adminUrl: `${app.url}/auth` });
      const args = ['doctor', '--issuer', op.issuer, '--client-id', CLIENT, '--admin-user', ADMIN.username, '--admin-password', ADMIN.password];
      const text = await runCliProcess(args);
      expect(text.code).toBe(1);
      expect(text.stdout).toMatch(/^ERROR client\.frontchannel-logout: .*\n {6}fix: .*Front channel logout/m);
      const json = await runCliProcess([...args, '--json']);
      expect(json.code).toBe(1);
      const report = JSON.parse(json.stdout) as DoctorReport;
      expect(report.exitCode).toBe(1);
      expect(report.findings.find((f) => f.id === 'client.frontchannel-logout')?.severity).toBe('error');
      expect(json.stdout).not.toContain(ADMIN.password);
      expect(json.stdout).not.toContain(CLIENT_SECRET);
    });

    it.each([
      { name: 'no command', args: [], says: 'a command is required' },
      { name: 'an unknown command', args: ['cure'], says: 'unknown command "cure"' },
      { name: 'no --issuer', args: ['doctor', '--client-id', 'a'], says: '--issuer is required' },
      { name: 'an issuer that is not a URL', args: ['doctor', '--issuer', 'keycloak', '--client-id', 'a'], says: '--issuer must be an http(s) URL' },
      { name: 'an unknown option', args: ['doctor', '--issuer', 'https://kc.example/realms/r', '--client-id', 'a', '--verbose'], says: "Unknown option '--verbose'" },
      { name: 'a symmetric algorithm', args: ['doctor', '--issuer', 'https://kc.example/realms/r', '--client-id', 'a', '--algorithms', 'HS256'], says: 'HS256 not supported' },
      { name: 'an admin user without password', args: ['doctor', '--issuer', 'https://kc.example/realms/r', '--client-id', 'a', '--admin-user', 'admin'], says: '--admin-user needs --admin-password' },
      { name: 'both kinds of admin credentials', args: ['doctor', '--issuer', 'https://kc.example/realms/r', '--client-id', 'a', '--admin-user', 'u', '--admin-password', 'p', '--admin-client-id', 'c', '--admin-client-secret', 's'], says: 'not both' },
      { name: 'a bad timeout', args: ['doctor', '--issuer', 'https://kc.example/realms/r', '--client-id', 'a', '--timeout', 'soon'], says: '--timeout must be an integer' },
    ])('bad usage, $name: exit code 2 with the usage', async ({ args, says }) => {
      const { code, stdout, stderr } = await runCliProcess(args, { KEYCLOAK_ADMIN_PASSWORD: '' });
      expect(code).toBe(2);
      expect(stderr).toContain(says);
      expect(stderr).toContain('Usage: nestjs-keycloak-logout doctor');
      expect(stdout).toBe('');
    });

    it('--help prints the usage with exit code 0', async () => {
      const { code, stdout } = await runCliProcess(['--help']);
      expect(code).toBe(0);
      expect(stdout).toContain('--admin-client-secret');
    });
  });
});
