import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return path.endsWith('.ts') && !path.endsWith('.spec.ts') ? [path] : [];
  });
}

describe('the ./redis entry point', () => {
  it('is the only part of lib/ that imports redis packages: the main entry works without them', () => {
    const offenders = sources(join(root, 'lib'))
      .filter((file) => !relative(join(root, 'lib'), file).startsWith('redis'))
      .filter((file) => /from\s+['"](redis|@redis\/[^'"]+|@keyv\/redis|\.{1,2}\/(?:\.\.\/)*redis\/[^'"]*)['"]/.test(readFileSync(file, 'utf8')));
    expect(offenders.map((file) => relative(root, file))).toEqual([]);
  });

  it.skipIf(!existsSync(join(root, 'dist', 'redis', 'index.js')))('is importable by package name through the exports map (built dist)', () => {
    const script = `
      const redis = await import('nestjs-keycloak-logout/redis');
      const main = await import('nestjs-keycloak-logout');
      const backend = redis.createRedisLogoutBackend({ url: 'redis://127.0.0.1:1' });
      // The bus and registry subclass the main entry's abstract classes (one module graph).
      console.log(JSON.stringify({
        bus: backend.revocationBus instanceof main.RevocationBus,
        registry: backend.sessionRegistry instanceof main.SessionRegistry,
      }));
    `;
    const output = execFileSync(process.execPath, ['--input-type=module', '-e', `import 'reflect-metadata';${script}`], { cwd: root, encoding: 'utf8' });
    expect(JSON.parse(output.trim().split('\n').at(-1)!)).toEqual({ bus: true, registry: true });
  });
});
