import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
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

    const [packed] = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', work], { cwd: root, encoding: 'utf8' })) as Array<{ filename: string; files: Array<{ path: string }> }>;
    const files = packed!.files.map((f) => f.path);
    expect(files).toContain('dist/index.js');
    expect(files).toContain('dist/index.d.ts');
    expect(files.some((f) => f.startsWith('lib/') || f.startsWith('test/') || f.endsWith('.spec.js'))).toBe(false);

    execFileSync('tar', ['-xzf', join(work, packed!.filename), '-C', join(work, 'node_modules', 'nestjs-keycloak-logout'), '--strip-components=1']);
    const manifest = JSON.parse(readFileSync(join(work, 'node_modules', 'nestjs-keycloak-logout', 'package.json'), 'utf8')) as { exports: Record<string, unknown> };
    expect(manifest.exports['.']).toEqual({ types: './dist/index.d.ts', default: './dist/index.js' });

    const script = `
      const m = await import('nestjs-keycloak-logout');
      const names = ['KeycloakLogoutModule', 'RevocationService', 'SessionRegistry', 'KeycloakBearerGuard', 'KeycloakSessionGuard', 'Public', 'KeycloakLogoutConfigError'];
      const missing = names.filter((n) => typeof m[n] !== 'function');
      if (missing.length) throw new Error('missing exports: ' + missing.join(', '));
      const dynamic = m.KeycloakLogoutModule.forRoot({ issuer: 'https://kc.example/realms/demo', clientId: 'app' });
      console.log(JSON.stringify({ ok: true, global: dynamic.global }));
    `;
    const output = execFileSync(process.execPath, ['--input-type=module', '-e', `import 'reflect-metadata';${script}`], { cwd: work, encoding: 'utf8' });
    expect(JSON.parse(output.trim().split('\n').at(-1)!)).toEqual({ ok: true, global: true });
  });
});
