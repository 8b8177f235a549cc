import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../support/free-port.js';

const demoScript = join(import.meta.dirname, '..', '..', 'sample', 'dist', 'src', 'demo.js');

/** Runs the demo as `npm start` does, until it exits or prints "demo ready" (then stops it). */
async function runDemo(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  expect(existsSync(demoScript), 'build the sample first: npm run sample:build').toBe(true);
  const demo = spawn(process.execPath, [demoScript], { env: { ...process.env, OIDC_ISSUER: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  demo.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    if (stdout.includes('demo ready')) demo.kill('SIGTERM');
  });
  demo.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => demo.once('exit', resolve));
  return { code, stdout, stderr };
}

/** Something else listening where the demo wants to. */
async function occupy(port: number): Promise<Server> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return server;
}

describe('npm start when a demo port cannot be used', () => {
  const held: Server[] = [];

  afterEach(async () => {
    await Promise.all(held.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
  });

  async function ports() {
    return { IDP_PORT: String(await freePort()), APP_A_PORT: String(await freePort()), APP_B_PORT: String(await freePort()) };
  }

  it('exits 1 naming APP_B_PORT when app-b\'s port is taken', async () => {
    const env = await ports();
    held.push(await occupy(Number(env.APP_B_PORT)));
    const { code, stdout, stderr } = await runDemo(env);
    expect(code).toBe(1);
    expect(stderr).toContain(`The demo cannot start: Port ${env.APP_B_PORT} for app-b is already in use`);
    expect(stderr).toContain(`set APP_B_PORT to a free port, e.g. \`APP_B_PORT=${Number(env.APP_B_PORT) + 100} npm start\``);
    expect(stdout).not.toContain('demo ready');
  });

  it('exits 1 naming IDP_PORT when the identity provider\'s port is taken', async () => {
    const env = await ports();
    held.push(await occupy(Number(env.IDP_PORT)));
    const { code, stderr } = await runDemo(env);
    expect(code).toBe(1);
    expect(stderr).toContain(`Port ${env.IDP_PORT} for idp is already in use`);
    expect(stderr).toContain('set IDP_PORT to a free port');
  });

  it('exits 1 naming APP_A_PORT when it is not a port number', async () => {
    const { code, stderr } = await runDemo({ ...(await ports()), APP_A_PORT: '30O0' });
    expect(code).toBe(1);
    expect(stderr).toContain('APP_A_PORT must be a TCP port between 1 and 65535, got "30O0".');
  });

  it('exits 1 naming both variables when two servers would share a port', async () => {
    const env = await ports();
    const { code, stderr } = await runDemo({ ...env, APP_B_PORT: env.APP_A_PORT });
    expect(code).toBe(1);
    expect(stderr).toContain(`app-a and app-b would both use port ${env.APP_A_PORT}: set APP_A_PORT or APP_B_PORT to another port.`);
  });

  it('starts on free ports given by the three variables', async () => {
    const env = await ports();
    const { stdout } = await runDemo(env);
    expect(stdout).toContain(`app-a              http://localhost:${env.APP_A_PORT}`);
    expect(stdout).toContain(`Identity provider  http://localhost:${env.IDP_PORT}/realms/demo`);
    expect(stdout).toContain('demo ready');
  });
});
