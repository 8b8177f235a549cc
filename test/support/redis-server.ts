import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BINARY = process.env.REDIS_SERVER_BIN ?? 'redis-server';

/** Whether a `redis-server` binary can be run here. */
export function redisServerAvailable(): boolean {
  const result = spawnSync(BINARY, ['--version'], { stdio: 'ignore' });
  return result.error === undefined && result.status === 0;
}

/**
 * For the integration suites: true when they can run. Without the binary they are skipped,
 * loudly, unless REQUIRE_REDIS=1 (CI), where a missing binary is an error.
 */
export function checkRedisForSuite(suite: string): boolean {
  if (redisServerAvailable()) return true;
  if (process.env.REQUIRE_REDIS === '1') {
    throw new Error(`${suite}: REQUIRE_REDIS=1 but "${BINARY}" cannot be run (apt-get install redis-server)`);
  }
  console.warn(
    `\n*** SKIPPING ${suite}: "${BINARY}" not found. Install redis-server (or set REDIS_SERVER_BIN) to run it; ` +
      'set REQUIRE_REDIS=1 to make this an error. ***\n',
  );
  return false;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Resolves when `PING` gets `+PONG` on the port, or rejects at the deadline. */
async function waitForPong(port: number, deadline: number, exited: () => boolean): Promise<void> {
  for (;;) {
    if (exited()) throw new Error(`redis-server exited before answering on port ${port}`);
    const ok = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ host: '127.0.0.1', port });
      socket.setTimeout(500);
      socket.once('connect', () => socket.write('PING\r\n'));
      socket.once('data', (data) => {
        socket.destroy();
        resolve(data.toString().startsWith('+PONG'));
      });
      socket.once('error', () => resolve(false));
      socket.once('timeout', () => {
        socket.destroy();
        resolve(false);
      });
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not answer PING in time`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

interface RedisServerOptions {
  /** More `--option value` arguments (a replica's `--replicaof`, a cluster node's settings). */
  args?: (port: number, dir: string) => string[];
  /** Config file contents, for a Sentinel (which must be able to rewrite its file); runs it with `--sentinel`. */
  sentinelConfig?: (port: number) => string;
}

/**
 * A private `redis-server` on a free loopback port, nothing persisted, that a test can stop
 * (an outage) and restart on the same port (a Redis restart that lost everything). Also the
 * building block of the Sentinel and Cluster topologies (test/support/redis-*-topology.ts).
 */
export class RedisServer {
  private process: ChildProcess | undefined;
  private log = '';
  /** Where the server may write (a Sentinel's config, a cluster node's nodes.conf). */
  readonly dir = mkdtempSync(join(tmpdir(), 'kl-redis-'));

  private constructor(
    readonly port: number,
    private readonly options: RedisServerOptions,
  ) {}

  static async start(options: RedisServerOptions = {}): Promise<RedisServer> {
    for (let attempt = 0; ; attempt += 1) {
      const server = new RedisServer(await freePort(), options);
      try {
        await server.restart();
        return server;
      } catch (error) {
        // Another process may have taken the port between probe and bind: try another one.
        if (attempt >= 3) throw error;
      }
    }
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.process !== undefined && this.process.exitCode === null && this.process.signalCode === null;
  }

  /** Starts the server (again) on the same port and waits until it answers. */
  async restart(): Promise<void> {
    if (this.running) throw new Error('redis-server is already running');
    const base = ['--port', String(this.port), '--bind', '127.0.0.1', '--protected-mode', 'yes', '--dir', this.dir];
    const { sentinelConfig, args } = this.options;
    let argv: string[];
    if (sentinelConfig) {
      const file = join(this.dir, 'sentinel.conf');
      // Written once: a Sentinel rewrites its file with what it learned (replicas, other sentinels, epochs).
      if (this.process === undefined) writeFileSync(file, sentinelConfig(this.port));
      argv = [file, '--sentinel', ...base];
    } else {
      argv = [...base, '--save', '', '--appendonly', 'no', ...(args?.(this.port, this.dir) ?? [])];
    }
    const child = spawn(BINARY, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.process = child;
    child.stdout.on('data', (chunk: Buffer) => (this.log += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (this.log += chunk.toString()));
    let exited = false;
    child.once('exit', () => (exited = true));
    try {
      await waitForPong(this.port, Date.now() + 5_000, () => exited);
    } catch (error) {
      if (!exited) child.kill('SIGKILL');
      throw new Error(`${(error as Error).message}\n${this.log}`);
    }
  }

  /** Everything the server printed. */
  get output(): string {
    return this.log;
  }

  /** Freezes the process (SIGSTOP): it keeps its sockets but answers nothing, like a stalled host. */
  pause(): void {
    if (this.running) this.process!.kill('SIGSTOP');
  }

  resume(): void {
    if (this.running) this.process!.kill('SIGCONT');
  }

  /** Kills the server (SIGKILL: an abrupt outage, no goodbye to clients) and waits for it to be gone. */
  async stop(): Promise<void> {
    const child = this.process;
    if (!child || !this.running) return;
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  }
}
