import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserAvailable, launchChromium } from '../support/browser.js';
import { freePort } from '../support/free-port.js';

const root = join(import.meta.dirname, '..', '..');
const screenshots = join(root, 'test-results', 'screenshots');

/** Samples of one metric in a Prometheus text exposition, each with its labels. */
async function scrape(appUrl: string, metric: string): Promise<Array<{ labels: Record<string, string>; value: number }>> {
  const response = await fetch(`${appUrl}/metrics`);
  expect(response.status).toBe(200);
  const samples = [];
  for (const line of (await response.text()).split('\n')) {
    const match = /^([a-z_]+)\{(.*)\} (\S+)$/.exec(line);
    if (match?.[1] !== metric) continue;
    const labels = Object.fromEntries([...match[2]!.matchAll(/([a-z_]+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]));
    samples.push({ labels, value: Number(match[3]) });
  }
  return samples;
}

/** The sum of a counter's samples whose labels include `subset`. */
async function counter(appUrl: string, metric: string, subset: Record<string, string>): Promise<number> {
  const samples = await scrape(appUrl, metric);
  return samples.filter((s) => Object.entries(subset).every(([k, v]) => s.labels[k] === v)).reduce((sum, s) => sum + s.value, 0);
}

interface TimelineLine {
  kind: string;
  text: string;
}

/** A page's timeline panel, oldest line first. */
async function timelineOf(page: Page): Promise<TimelineLine[]> {
  const lines = await page.locator('#timeline-entries li[data-kind]').evaluateAll((items) =>
    items.map((item) => ({ kind: item.getAttribute('data-kind') ?? '', text: item.textContent ?? '' })),
  );
  return lines.reverse();
}

/**
 * The demo as a newcomer runs it (`npm start` → sample/dist/src/demo.js), driven by a real
 * headless Chromium: sign in to app-a, single sign-on into app-b (one Keycloak session, shown
 * the same in both), sign out of app-a, and app-b's page turns to "Signed out" by itself, says
 * why and when, and shows its API refusing the old access token; each app's timeline lists it.
 */
describe.runIf(browserAvailable())('the sample demo in a real browser', () => {
  let demo: ChildProcess;
  let output = '';
  let browser: Browser;
  const ports = { idp: 0, a: 0, b: 0 };
  const appA = () => `http://localhost:${ports.a}`;
  const appB = () => `http://localhost:${ports.b}`;

  beforeAll(async () => {
    expect(existsSync(join(root, 'sample', 'dist', 'src', 'demo.js')), 'build the sample first: npm run sample:build').toBe(true);
    ports.idp = await freePort();
    ports.a = await freePort();
    ports.b = await freePort();
    demo = spawn(process.execPath, [join(root, 'sample', 'dist', 'src', 'demo.js')], {
      env: { ...process.env, IDP_PORT: String(ports.idp), APP_A_PORT: String(ports.a), APP_B_PORT: String(ports.b), OIDC_ISSUER: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`demo did not start:\n${output}`)), 30_000);
      const collect = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('demo ready')) {
          clearTimeout(timer);
          resolve();
        }
      };
      demo.stdout!.on('data', collect);
      demo.stderr!.on('data', collect);
      demo.once('exit', (code) => reject(new Error(`demo exited with ${code}:\n${output}`)));
    });
    browser = await launchChromium();
    mkdirSync(screenshots, { recursive: true });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    if (demo && demo.exitCode === null) {
      demo.kill('SIGTERM');
      await new Promise((resolve) => demo.once('exit', resolve));
    }
  });

  async function signedInAs(page: Page, text: string) {
    await expect.poll(() => page.locator('#status').textContent(), { timeout: 10_000 }).toBe('Signed in');
    expect(await page.locator('#user').textContent()).toContain(text);
  }

  it('signs out app-b by itself when the user signs out of app-a', async () => {
    const context = await browser.newContext({ viewport: { width: 520, height: 520 } });
    const pageA = await context.newPage();
    const pageB = await context.newPage();

    // 1. app-a: signed out, sign in through the identity provider's login page.
    await pageA.goto(appA());
    expect(await pageA.locator('#status').textContent()).toBe('Signed out');
    await pageA.click('#sign-in');
    await pageA.waitForURL(/\/login-actions\/authenticate\//);
    await pageA.fill('#username', 'alice');
    await pageA.fill('#password', 'alice-password');
    await pageA.click('#kc-login');
    await pageA.waitForURL(`${appA()}/`);
    await signedInAs(pageA, 'alice');
    await expect.poll(() => timelineOf(pageA)).toEqual([{ kind: 'login', text: expect.stringMatching(/login.*signed in, session [0-9a-f]{8}$/) }]);
    await pageA.screenshot({ path: join(screenshots, '1-app-a-signed-in.png') });

    // 2. app-b: single sign-on, no second password.
    await pageB.goto(appB());
    await pageB.click('#sign-in');
    await pageB.waitForURL(`${appB()}/`);
    await signedInAs(pageB, 'alice');
    expect(await pageB.locator('#password').count()).toBe(0);
    const token = await pageB.evaluate(async () => ((await (await fetch('/session/token')).json()) as { access_token: string }).access_token);
    expect(token).toMatch(/^ey/);
    const before = await fetch(`${appB()}/api/me`, { headers: { authorization: `Bearer ${token}` } });
    expect(before.status).toBe(200);
    expect(await before.json()).toMatchObject({ client: 'app-b' });
    await pageB.click('#call-api');
    await expect.poll(() => pageB.locator('#api-result').textContent()).toContain('200');
    // One Keycloak session for both apps, as Keycloak has: the same sid, so the same fingerprint.
    const sessionA = await pageA.locator('#sid').getAttribute('data-fingerprint');
    expect(sessionA).toMatch(/^[0-9a-f]{8}$/);
    expect(await pageB.locator('#sid').getAttribute('data-fingerprint')).toBe(sessionA);
    expect(await pageB.locator('#sid').textContent()).toBe(sessionA);
    await expect.poll(() => timelineOf(pageB)).toEqual([{ kind: 'login', text: expect.stringContaining(`signed in, session ${sessionA}`) }]);
    await pageB.screenshot({ path: join(screenshots, '2-app-b-single-sign-on.png') });

    // Mark app-b's document, to prove later that it changed without a reload.
    await pageB.evaluate(() => {
      (globalThis as unknown as { marker: string }).marker = 'no-reload';
    });

    const rpLogouts = { keycloak_logout_path: 'rp_initiated', keycloak_logout_outcome: 'success' };
    const backchannelLogouts = { keycloak_logout_path: 'backchannel', keycloak_logout_outcome: 'success' };
    expect(await counter(appA(), 'keycloak_logout_logouts_total', rpLogouts)).toBe(0);
    expect(await counter(appB(), 'keycloak_logout_logouts_total', backchannelLogouts)).toBe(0);

    // 3. Sign out of app-a: RP-initiated logout at the IdP, which calls app-b's back-channel URL.
    const signOutClicked = Date.now();
    await pageA.click('#sign-out');
    await pageA.waitForURL(`${appA()}/`);
    expect(await pageA.locator('#status').textContent()).toBe('Signed out');

    // 4. app-b's page changes by itself, within a second, and its API refuses the old token.
    await expect.poll(() => pageB.locator('#status').textContent(), { timeout: 1_000, interval: 50 }).toBe('Signed out');
    // It learnt of the logout through its live connection: the library's final `logout` event on
    // the SSE stream (SseStreams), with the kind of logout as its reason.
    expect(await pageB.locator('#page').getAttribute('data-logout')).toBe('logged out (sid)');
    expect(await pageB.evaluate(() => (globalThis as unknown as { marker?: string }).marker)).toBe('no-reload');

    // It says why and when: the path that delivered the logout, whose logout it was, how long after.
    const why = pageB.locator('#why');
    await expect.poll(() => why.isVisible()).toBe(true);
    expect(await why.getAttribute('data-path')).toBe('backchannel-logout');
    expect(await why.getAttribute('data-initiated-by')).toBe('app-a');
    const afterMs = Number(await why.getAttribute('data-after-ms'));
    expect(Number.isInteger(afterMs)).toBe(true);
    expect(afterMs).toBeGreaterThanOrEqual(0);
    expect(afterMs).toBeLessThanOrEqual(Date.now() - signOutClicked);
    expect(await pageB.locator('#why-path').textContent()).toBe('back-channel logout (backchannel-logout)');
    expect(await pageB.locator('#why-origin').textContent()).toBe("app-a's logout");
    expect(await pageB.locator('#why-when').textContent()).toMatch(new RegExp(`^${afterMs} ms after that logout, at \\d{2}:\\d{2}:\\d{2}\\.\\d{3} UTC$`));

    // The "Call /api/me" button stays: the old token, still unexpired, is refused with its reason.
    await pageB.click('#call-api');
    await expect.poll(() => pageB.locator('#api-result').textContent()).toMatch(/^401 /);
    expect(JSON.parse((await pageB.locator('#api-result').textContent())!.slice(4))).toEqual({
      error: 'invalid_token',
      error_description: 'access token has been revoked (sid)',
    });
    // Written after the page has read its timeline again, a moment after the answer.
    await expect.poll(() => pageB.locator('#api-reason').textContent()).toBe('reason code: revoked_sid');

    // app-b's timeline: the login, the logout with its path and origin, the refusal with its code.
    await expect.poll(() => timelineOf(pageB)).toEqual([
      { kind: 'login', text: expect.stringContaining(`session ${sessionA}`) },
      { kind: 'logout', text: expect.stringMatching(new RegExp(`back-channel logout from app-a's logout, \\+${afterMs} ms, session ${sessionA}$`)) },
      { kind: 'refusal', text: expect.stringMatching(/refused bearer-guard: revoked_sid \(401\)$/) },
    ]);
    await pageB.screenshot({ path: join(screenshots, '3-app-b-signed-out-by-itself.png') });
    const after = await fetch(`${appB()}/api/me`, { headers: { authorization: `Bearer ${token}` } });
    expect(after.status).toBe(401);
    expect(await after.json()).toMatchObject({ error: 'invalid_token' });

    // app-a's own timeline (JSON, as the page reads it): its login, then its own Sign out.
    const timelineA = (await (await fetch(`${appA()}/timeline`)).json()) as { entries: Array<Record<string, unknown>> };
    expect(timelineA.entries[0]).toMatchObject({ kind: 'login', session: sessionA });
    expect(timelineA.entries[1]).toMatchObject({ kind: 'logout', path: 'rp-logout', initiatedBy: 'app-a', afterMs: 0, session: sessionA });
    // Nothing in it names a token, sid or user.
    expect(JSON.stringify(timelineA)).not.toMatch(/alice|user-alice|ey[\w-]{20,}/);

    // 5. Each app's /metrics shows its side of the logout: app-a the RP-initiated one, app-b the
    // back-channel one and the refused token; /health is up on both.
    expect(await counter(appA(), 'keycloak_logout_logouts_total', rpLogouts)).toBe(1);
    expect(await counter(appB(), 'keycloak_logout_logouts_total', backchannelLogouts)).toBe(1);
    expect(await counter(appB(), 'keycloak_logout_logouts_total', rpLogouts)).toBe(0);
    // Refused twice: the page's button, then the test's own request.
    expect(await counter(appB(), 'keycloak_logout_refusals_total', { keycloak_logout_channel: 'bearer_guard', keycloak_logout_reason: 'revoked_sid' })).toBe(2);
    expect(await counter(appB(), 'keycloak_logout_revocation_propagation_duration_count', { keycloak_logout_revocation_origin: 'local' })).toBeGreaterThanOrEqual(1);
    for (const app of [appA(), appB()]) {
      const health = await fetch(`${app}/health`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ status: 'ok', info: { keycloak_logout: { status: 'up', jwks: { status: 'up' } } } });
    }

    // A reload of app-b confirms the server-side session is gone.
    await pageB.reload();
    expect(await pageB.locator('#status').textContent()).toBe('Signed out');

    // The three steps side by side, for the README (copied there with UPDATE_SCREENSHOTS=1).
    const steps = ['1-app-a-signed-in.png', '2-app-b-single-sign-on.png', '3-app-b-signed-out-by-itself.png'];
    const images = steps.map((file) => `<img src="data:image/png;base64,${readFileSync(join(screenshots, file)).toString('base64')}">`).join('');
    const strip = await context.newPage();
    await strip.setViewportSize({ width: 1560, height: 520 });
    await strip.setContent(`<body style="margin:0;display:flex">${images}</body>`);
    await strip.screenshot({ path: join(screenshots, 'demo-steps.png') });
    await context.close();
    if (process.env.UPDATE_SCREENSHOTS === '1') copyFileSync(join(screenshots, 'demo-steps.png'), join(root, 'docs', 'demo-steps.png'));
  }, 60_000);

  it('explains a logout made at the identity provider itself on both apps\' pages', async () => {
    const context = await browser.newContext({ viewport: { width: 520, height: 520 } });
    const pageA = await context.newPage();
    const pageB = await context.newPage();
    await pageA.goto(appA());
    await pageA.click('#sign-in');
    await pageA.waitForURL(/\/login-actions\/authenticate\//);
    await pageA.fill('#username', 'bob');
    await pageA.fill('#password', 'bob-password');
    await pageA.click('#kc-login');
    await pageA.waitForURL(`${appA()}/`);
    await signedInAs(pageA, 'bob');
    await pageB.goto(appB());
    await pageB.click('#sign-in');
    await pageB.waitForURL(`${appB()}/`);
    await signedInAs(pageB, 'bob');

    // The IdP's own logout page, reached directly: no client asked for it.
    const idpPage = await context.newPage();
    await idpPage.goto(`http://localhost:${ports.idp}/realms/demo/protocol/openid-connect/logout`);
    await expect.poll(() => idpPage.locator('main').textContent(), { timeout: 5_000 }).toContain('You are logged out.');

    for (const page of [pageA, pageB]) {
      await expect.poll(() => page.locator('#status').textContent(), { timeout: 2_000, interval: 50 }).toBe('Signed out');
      const why = page.locator('#why');
      await expect.poll(() => why.isVisible()).toBe(true);
      expect(await why.getAttribute('data-path')).toBe('backchannel-logout');
      expect(await why.getAttribute('data-initiated-by')).toBe('identity provider');
      expect(await page.locator('#why-origin').textContent()).toBe('a logout at the identity provider');
      expect(Number(await why.getAttribute('data-after-ms'))).toBeGreaterThanOrEqual(0);
    }
    await context.close();
  });

  // Reads what the demo printed during the tests above.
  it('labels each server\'s log lines: [idp], [app-a], [app-b]', () => {
    const lines = output.split('\n');
    for (const label of ['[app-a]', '[app-b]']) {
      expect(lines.some((line) => line.startsWith(`${label} `) && line.includes('Nest application successfully started'))).toBe(true);
    }
    // The IdP's own account of the logout the first test made.
    expect(lines.some((line) => line.startsWith('[idp] ') && line.includes('logout confirmed, started by app-a'))).toBe(true);
    expect(lines.some((line) => line.startsWith('[idp] ') && line.includes('back-channel logout delivered to app-b'))).toBe(true);
  });

  it('the library\'s metrics and health are served by each app in Prometheus and terminus form', async () => {
    const metrics = await fetch(`${appA()}/metrics`);
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await metrics.text();
    expect(text).toContain('# TYPE keycloak_logout_logouts_total counter');
    expect(text).toContain('target_info{service_name="app-a"} 1');
    expect(await scrape(appA(), 'keycloak_logout_revocation_view_stale')).toEqual([{ labels: { otel_scope_name: 'nestjs-keycloak-logout' }, value: 0 }]);
  });

  it('the public and guarded API routes answer the same shape', async () => {
    const open = await fetch(`${appA()}/api/public`);
    expect(await open.json()).toEqual({ sub: null, sid: null, client: null });
    const refused = await fetch(`${appA()}/api/me`);
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ error: 'invalid_request' });
  });
});
