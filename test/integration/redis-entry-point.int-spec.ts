import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KeycloakLogoutConfigError, KeycloakLogoutModule } from '../../lib/index.js';
import { createRedisLogoutBackend, type RedisLogoutBackendOptions } from '../../lib/redis/index.js';

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

describe('createRedisLogoutBackend options', () => {
  it.each<[string, unknown, RegExp]>([
    ['no Redis at all', {}, /"redis" needs exactly one of "url", "client", "sentinel" or "cluster" \(got none\)/],
    ['both url and client', { url: 'redis://x', client: { duplicate: () => undefined, isReady: false } }, /exactly one .* \(got "url" and "client"\)/],
    ['both url and sentinel', { url: 'redis://x', sentinel: { sentinels: [{ host: 'h', port: 26379 }], name: 'm' } }, /\(got "url" and "sentinel"\)/],
    ['both sentinel and cluster', { sentinel: { sentinels: [{ host: 'h', port: 26379 }], name: 'm' }, cluster: { rootNodes: ['redis://h:7000'] } }, /\(got "sentinel" and "cluster"\)/],
    ['a Sentinel without sentinels', { sentinel: { sentinels: [], name: 'm' } }, /"redis.sentinel.sentinels" must be a non-empty array/],
    ['a Sentinel without a master name', { sentinel: { sentinels: [{ host: 'h', port: 26379 }] } }, /"redis.sentinel.name" is required/],
    ['a Sentinel node without a port', { sentinel: { sentinels: [{ host: 'h' }], name: 'm' } }, /"redis.sentinel.sentinels\[0\].port" must be an integer between 1 and 65535/],
    ['an unknown Sentinel option', { sentinel: { sentinels: [{ host: 'h', port: 1 }], name: 'm', master: 'x' } }, /"redis.sentinel.master" is not a known option/],
    ['a Cluster without root nodes', { cluster: { rootNodes: [] } }, /"redis.cluster.rootNodes" must be a non-empty array/],
    ['a Cluster root node that is not a URL', { cluster: { rootNodes: ['h:7000'] } }, /"redis.cluster.rootNodes\[0\]" must be a redis:\/\/ or rediss:\/\/ URL/],
    ['a non-redis URL', { url: 'http://x' }, /"redis.url" must be a redis:\/\/ or rediss:\/\/ URL/],
    ['not a client', { client: {} }, /"redis.client" must be a node-redis v5 client/],
    ['a cluster client', { client: { duplicate: () => undefined } }, /for Sentinel or Cluster, give "sentinel" or "cluster"/],
    ['an unknown option', { url: 'redis://x', maxStale: 5 }, /"redis.maxStale" is not a known option/],
    ['the removed sessionTtl option', { url: 'redis://x', sessionTtl: 36_000 }, /"redis.sessionTtl" is not a known option \(removed: .* the module's own "sessionTtl" option sets\)/],
    ['a too small maxStaleness', { url: 'redis://x', maxStaleness: 10 }, /"redis.maxStaleness" must be an integer between 100 and 600000, got 10/],
    ['a fractional commandTimeout', { url: 'redis://x', commandTimeout: 1.5 }, /"redis.commandTimeout" must be an integer/],
    ['an empty keyPrefix', { url: 'redis://x', keyPrefix: '' }, /"redis.keyPrefix" must be a non-empty string/],
    ['a zero maxSessionsPerUser', { url: 'redis://x', maxSessionsPerUser: 0 }, /"redis.maxSessionsPerUser" must be an integer between 1 and 100000, got 0/],
    ['a too large maxSessionsPerUser', { url: 'redis://x', maxSessionsPerUser: 100_001 }, /"redis.maxSessionsPerUser" must be an integer between 1 and 100000, got 100001/],
  ])('refuses %s with a KeycloakLogoutConfigError', (_, options, message) => {
    expect(() => createRedisLogoutBackend(options as RedisLogoutBackendOptions)).toThrow(KeycloakLogoutConfigError);
    expect(() => createRedisLogoutBackend(options as RedisLogoutBackendOptions)).toThrow(message);
  });

  it('connects to nothing until started, and its parts are accepted by the module', async () => {
    const backend = createRedisLogoutBackend({ url: 'redis://127.0.0.1:1' });
    expect(backend.health()).toMatchObject({ status: 'down', state: 'idle', stale: true });
    expect(() =>
      KeycloakLogoutModule.forRoot({
        issuer: 'https://kc.example/realms/demo',
        clientId: 'app',
        backend,
      }),
    ).not.toThrow();
    await backend.close();
    expect(backend.health().state).toBe('closed');
  });
});
