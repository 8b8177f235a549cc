import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');

/**
 * The published artifact, not the sources: `npm pack` the built package, unpack it where Node
 * resolves it by name (peers come from the repository's node_modules), and import it through
 * its `exports` map in a plain Node process.
 */
describe('the packed package', () => {
  it('can be imported by name and exposes the public API with type declarations', () => {
    expect(existsSync(join(root, 'dist', 'index.js')), 'dist/ is missing: run `npm run build` first (npm test does)').toBe(true);
    const work = join(root, 'test-results', 'pack');
    rmSync(work, { recursive: true, force: true });
    mkdirSync(join(work, 'node_modules', 'nestjs-keycloak-logout'), { recursive: true });

    // --ignore-scripts: `npm test` built dist/ already, and other suites read it meanwhile;
    // on a fresh clone `prepack` builds it (asserted below).
    const [packed] = JSON.parse(execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], { cwd: root, encoding: 'utf8' })) as Array<{ filename: string; files: Array<{ path: string }> }>;
    const files = packed!.files.map((f) => f.path);
    expect(files).toContain('dist/index.js');
    expect(files).toContain('dist/index.d.ts');
    expect(files).toContain('dist/redis/index.d.ts');
    expect(files).toContain('dist/terminus/index.d.ts');
    expect(files).toContain('dist/testing/index.d.ts');
    expect(files).toContain('LICENSE');
    expect(files).toContain('dist/cli/main.js');
    expect(files.some((f) => f.startsWith('lib/') || f.startsWith('test/') || f.endsWith('.spec.js'))).toBe(false);
    // Source maps would point at sources the package does not ship.
    expect(files.filter((f) => f.endsWith('.map'))).toEqual([]);

    execFileSync('tar', ['-xzf', join(work, packed!.filename), '-C', join(work, 'node_modules', 'nestjs-keycloak-logout'), '--strip-components=1']);
    const manifest = JSON.parse(readFileSync(join(work, 'node_modules', 'nestjs-keycloak-logout', 'package.json'), 'utf8')) as {
      exports: Record<string, unknown>;
      scripts: Record<string, string>;
      bin?: Record<string, string>;
      repository?: unknown;
      bugs?: unknown;
      homepage?: unknown;
    };
    expect(manifest.exports['.']).toEqual({ types: './dist/index.d.ts', default: './dist/index.js' });
    expect(manifest.exports['./terminus']).toEqual({ types: './dist/terminus/index.d.ts', default: './dist/terminus/index.js' });
    expect(manifest.exports['./testing']).toEqual({ types: './dist/testing/index.d.ts', default: './dist/testing/index.js' });
    // The optional peer stays out of the main entry point's import graph: only dist/terminus imports it.
    const unpacked = join(work, 'node_modules', 'nestjs-keycloak-logout');
    const namingTerminus = packed!.files.map((f) => f.path).filter((f) => f.endsWith('.js') && readFileSync(join(unpacked, f), 'utf8').match(/(?:from|import\()\s*['"]@nestjs\/terminus['"]/) !== null);
    expect(namingTerminus).toEqual(['dist/terminus/keycloak-logout-health.indicator.js']);
    // Likewise @nestjs/testing: only the testing kit's TestingModule helper imports it, lazily.
    const namingNestTesting = packed!.files.map((f) => f.path).filter((f) => f.endsWith('.js') && /['"]@nestjs\/testing['"]/.test(readFileSync(join(unpacked, f), 'utf8')));
    expect(namingNestTesting).toEqual(['dist/testing/testing-module.js']);
    expect(manifest.scripts.prepack).toBe('npm run build');
    // The doctor's command: an executable ES module with a shebang, so npx and npm's bin links run it.
    expect(manifest.bin).toEqual({ 'nestjs-keycloak-logout': './dist/cli/main.js' });
    expect(readFileSync(join(unpacked, 'dist', 'cli', 'main.js'), 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
    expect(statSync(join(unpacked, 'dist', 'cli', 'main.js')).mode & 0o111).not.toBe(0);
    expect(manifest).toMatchObject({ repository: expect.anything(), bugs: expect.anything(), homepage: expect.any(String) });

    const script = `
      const m = await import('nestjs-keycloak-logout');
      const names = ['KeycloakLogoutModule', 'RevocationService', 'SessionRegistry', 'KeycloakBearerGuard', 'KeycloakSessionGuard', 'Public', 'KeycloakLogoutConfigError'];
      const missing = names.filter((n) => typeof m[n] !== 'function');
      if (missing.length) throw new Error('missing exports: ' + missing.join(', '));
      const dynamic = m.KeycloakLogoutModule.forRoot({ issuer: 'https://kc.example/realms/demo', clientId: 'app' });
      const terminus = await import('nestjs-keycloak-logout/terminus');
      if (typeof terminus.KeycloakLogoutHealthIndicator !== 'function' || typeof m.KeycloakLogoutHealth !== 'function') throw new Error('no health indicator');
      const testing = await import('nestjs-keycloak-logout/testing');
      const realm = await testing.KeycloakTestRealm.start({ clientId: 'app' });
      const token = await realm.accessToken({ sid: 'packed' });
      const discovered = await (await fetch(realm.discoveryUrl)).json();
      await realm.close();
      if (discovered.issuer !== realm.issuer || token.split('.').length !== 3 || typeof testing.createKeycloakTestingModule !== 'function') throw new Error('testing kit broken');
      console.log(JSON.stringify({ ok: true, global: dynamic.global }));
    `;
    const output = execFileSync(process.execPath, ['--input-type=module', '-e', `import 'reflect-metadata';${script}`], { cwd: work, encoding: 'utf8' });
    expect(JSON.parse(output.trim().split('\n').at(-1)!)).toEqual({ ok: true, global: true });
  });

  it('compiles and runs in a CommonJS app with moduleResolution node10, the ./redis, ./terminus and ./testing entry points included', () => {
    const work = join(root, 'test-results', 'pack');
    expect(existsSync(join(work, 'node_modules', 'nestjs-keycloak-logout', 'package.json')), 'run the packing test first').toBe(true);
    const app = join(work, 'cjs-consumer');
    rmSync(app, { recursive: true, force: true });
    mkdirSync(app, { recursive: true });
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'cjs-consumer', private: true, type: 'commonjs' }));
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'commonjs', moduleResolution: 'node10', target: 'ES2022', strict: true, types: ['node'],
          typeRoots: [join(root, 'node_modules', '@types')], experimentalDecorators: true, emitDecoratorMetadata: true, skipLibCheck: true, outDir: 'out',
        },
        files: ['main.ts'],
      }),
    );
    writeFileSync(
      join(app, 'main.ts'),
      `import 'reflect-metadata';
import { KeycloakLogoutModule, type KeycloakLogoutModuleOptions } from 'nestjs-keycloak-logout';
import { createRedisLogoutBackend, type RedisLogoutBackendOptions } from 'nestjs-keycloak-logout/redis';
import { KeycloakLogoutHealthIndicator } from 'nestjs-keycloak-logout/terminus';
import { KeycloakTestRealm, type AccessTokenInput } from 'nestjs-keycloak-logout/testing';
const tokenInput: AccessTokenInput = { clientId: 'app', sid: 'cjs' };
const options: KeycloakLogoutModuleOptions = { issuer: 'https://kc.example/realms/demo', clientId: 'app' };
const redis: RedisLogoutBackendOptions = { url: 'redis://127.0.0.1:1' };
console.log(JSON.stringify({ global: KeycloakLogoutModule.forRoot(options).global, redis: typeof createRedisLogoutBackend, url: redis.url, terminus: typeof KeycloakLogoutHealthIndicator, testing: typeof KeycloakTestRealm.start, client: tokenInput.clientId }));
`,
    );
    execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', app], { cwd: app, encoding: 'utf8' });
    // Node >= 20.19 loads the ES module package through require().
    const output = execFileSync(process.execPath, [join(app, 'out', 'main.js')], { cwd: app, encoding: 'utf8' });
    expect(JSON.parse(output.trim().split('\n').at(-1)!)).toEqual({ global: true, redis: 'function', url: 'redis://127.0.0.1:1', terminus: 'function', testing: 'function', client: 'app' });
  });

  it('the main entry point\'s typings reference no optional peer (an app without them type-checks)', () => {
    const bare = new Set<string>();
    const seen = new Set<string>();
    const walk = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      for (const [, specifier] of readFileSync(file, 'utf8').matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)) {
        if (specifier!.startsWith('.')) walk(resolve(dirname(file), specifier!.replace(/\.js$/, '.d.ts')));
        else bare.add(specifier!);
      }
    };
    walk(join(root, 'dist', 'index.d.ts'));
    // @opentelemetry/api is a dependency (the `telemetry` option's provider types), not a peer.
    // rxjs is a required peer (the SSE helper returns Observables); everything optional stays out.
    expect([...bare].sort()).toEqual(['@nestjs/common', '@nestjs/core', '@opentelemetry/api', 'jose', 'rxjs']);
  });

  it('the testing entry point loads nothing at run time but jose, Node and the required peers; @nestjs/testing only when asked', () => {
    const bare = new Set<string>();
    const seen = new Set<string>();
    // Static imports only: what loading the entry point loads. The library's lazy import()s of
    // optional peers run only when an app uses those features.
    const walk = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      for (const [, specifier] of readFileSync(file, 'utf8').matchAll(/(?:\bfrom\s*|^import\s*)['"]([^'"]+)['"]/gm)) {
        if (specifier!.startsWith('.')) walk(resolve(dirname(file), specifier!));
        else bare.add(specifier!.startsWith('node:') ? 'node:' : specifier!);
      }
    };
    walk(join(root, 'dist', 'testing', 'index.js'));
    // The required peers come in through KeycloakLogoutModule, which the TestingModule helper imports.
    expect([...bare].sort()).toEqual(['@nestjs/common', '@nestjs/core', '@opentelemetry/api', 'jose', 'node:', 'rxjs']);
    expect(readFileSync(join(root, 'dist', 'testing', 'testing-module.js'), 'utf8')).toMatch(/await import\('@nestjs\/testing'\)/);
  });
});
