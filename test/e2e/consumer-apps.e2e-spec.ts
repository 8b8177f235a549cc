/**
 * The packed package in apps shaped like users' own: a fresh Nest 11 CommonJS app and a fresh
 * Nest 12 ES-module app, each installed from the registry with the tarball beside it, each
 * answering a guarded request with a Keycloak-shaped token from a realm on loopback, and
 * refusing it after the realm's back-channel logout. The realm is the testing kit of the
 * installed package (`nestjs-keycloak-logout/testing`, resolved through its exports map from the
 * app's folder), so the kit is proven against each app's own Nest version too.
 */
import 'reflect-metadata';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KeycloakTestRealm } from '../../lib/testing/index.js';

type TestingKit = typeof import('../../lib/testing/index.js');

const root = join(import.meta.dirname, '..', '..');
const work = join(root, 'test-results', 'consumers');
const CLIENT = 'consumer-app';

const APPS = [
  { name: 'nest11-commonjs', nest: '^11.0.0', type: 'commonjs', main: 'guarded-app.cjs' },
  { name: 'nest12-esm', nest: '^12.0.0', type: 'module', main: 'guarded-app.mjs' },
] as const;

function packTarball(): string {
  expect(existsSync(join(root, 'dist', 'index.js')), 'dist/ is missing: run `npm run build` first (npm test does)').toBe(true);
  mkdirSync(work, { recursive: true });
  const [packed] = JSON.parse(execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], { cwd: root, encoding: 'utf8' })) as Array<{ filename: string }>;
  return join(work, packed!.filename);
}

/** A fresh app folder with the app's own Nest version and the tarball, installed from the registry. */
function installApp(app: (typeof APPS)[number], tarball: string): string {
  const dir = join(work, app.name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const dependencies = {
    '@nestjs/common': app.nest,
    '@nestjs/core': app.nest,
    '@nestjs/platform-express': app.nest,
    'reflect-metadata': '^0.2.0',
    rxjs: '^7.8.0',
    'nestjs-keycloak-logout': `file:${tarball}`,
  };
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: app.name, private: true, type: app.type, dependencies }, null, 2));
  copyFileSync(join(root, 'test', 'consumers', app.main), join(dir, app.main));
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--omit=optional', '--loglevel=error'], { cwd: dir, stdio: 'pipe', timeout: 240_000 });
  return dir;
}

function startApp(dir: string, main: string, issuer: string): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [join(dir, main)], { cwd: dir, env: { ...process.env, OIDC_ISSUER: issuer, OIDC_CLIENT_ID: CLIENT }, stdio: ['ignore', 'pipe', 'pipe'] });
  let errors = '';
  child.stderr?.on('data', (chunk: Buffer) => (errors += chunk.toString()));
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      if (line.startsWith('{"url"')) resolve({ url: (JSON.parse(line) as { url: string }).url, child });
    });
    child.once('exit', (code) => reject(new Error(`the app exited with ${code}: ${errors}`)));
  });
}

describe.each(APPS)('the packed package in a fresh $name app', (app) => {
  let realm: KeycloakTestRealm;
  let running: { url: string; child: ChildProcess } | undefined;

  beforeAll(async () => {
    const dir = installApp(app, packTarball());
    const kitPath = createRequire(join(dir, 'package.json')).resolve('nestjs-keycloak-logout/testing');
    expect(kitPath).toBe(join(dir, 'node_modules', 'nestjs-keycloak-logout', 'dist', 'testing', 'index.js'));
    const kit = (await import(pathToFileURL(kitPath).href)) as TestingKit;
    realm = await kit.KeycloakTestRealm.start({ realm: 'demo', clientId: CLIENT });
    running = await startApp(dir, app.main, realm.issuer);
  }, 300_000);
  afterAll(async () => {
    running?.child.kill();
    await realm?.close();
  });

  it('answers a guarded request with a valid token, and refuses it once the realm logs the session out', async () => {
    const token = await realm.accessToken({ sub: 'alice', sid: `kc-${app.name}` });
    const me = await fetch(`${running!.url}/api/me`, { headers: { authorization: `Bearer ${token}` } });
    expect(me.status).toBe(200);
    expect(await me.json()).toEqual({ sub: 'alice', sid: `kc-${app.name}` });
    expect((await fetch(`${running!.url}/api/me`)).status).toBe(401);

    const logout = await realm.backchannelLogout(running!.url, { sub: 'alice', sid: `kc-${app.name}` });
    expect(logout.status).toBe(200);
    const refused = await fetch(`${running!.url}/api/me`, { headers: { authorization: `Bearer ${token}` } });
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ error: 'invalid_token', error_description: 'access token has been revoked (sid)' });
  });
});
