import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { freePort } from '../../test/support/free-port.js';
import { loadRedisSubpath } from './library.js';
import { sleep } from './stats.js';

/** Why Redis mode cannot run here, or undefined when it can. */
export async function redisModeUnavailable(): Promise<string | undefined> {
  const redis = await loadRedisSubpath();
  if (typeof redis?.createRedisLogoutBackend !== 'function') {
    return 'the build has no `nestjs-keycloak-logout/redis` exporting `createRedisLogoutBackend`';
  }
  if (spawnSync('redis-server', ['--version']).status !== 0) return '`redis-server` is not on the PATH';
  return undefined;
}

async function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** A throwaway redis-server on 127.0.0.1 (no persistence), stopped by `stop()`. */
export async function startRedis(): Promise<{ url: string; stop(): Promise<void> }> {
  const port = await freePort();
  const child: ChildProcess = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  });
  process.on('exit', () => child.kill('SIGKILL'));
  for (let i = 0; i < 100 && !(await accepts(port)); i++) await sleep(50);
  return {
    url: `redis://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
